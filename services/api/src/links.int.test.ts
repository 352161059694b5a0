import { createHmac } from 'node:crypto';
import { loadConfig } from '@paperboy/config';
import { LinkSecretRepository, SubscriberRepository } from '@paperboy/db';
import { loadTaxonomy, signToken, type TokenPurpose } from '@paperboy/pipeline';
import { createRedis } from '@paperboy/queue';
import { type TestDatabase, testEnvironment } from '@paperboy/test-utils';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from './app.js';

/**
 * Forged and everlasting links, against the real API and Postgres: the API runs as a deployment
 * without PAPERBOY_SECRET does (the secret generated in the database), and old links stop working
 * once the subscriber's token version moves on.
 */
let t: TestDatabase;
let app: FastifyInstance;
let secret: string;
const testEnv = testEnvironment();
const { prefix, redisUrl } = testEnv;
const redis = createRedis(redisUrl, 'producer');
const config = loadConfig({ PAPERBOY_QUEUE_PREFIX: prefix, PAPERBOY_PUBLIC_URL: 'https://papers.example.org' });
const OLD_DEFAULT_SECRET = 'paperboy-development-secret-not-for-production';

beforeAll(async () => {
  t = await testEnv.start();
  app = await buildApi({
    db: t.db,
    config,
    logger: pino({ level: 'silent' }),
    redis,
    taxonomy: loadTaxonomy(),
    perIpPerMinute: 1000,
  });
  secret = await new LinkSecretRepository(t.db).loadOrCreate();
});
afterAll(async () => {
  await app?.close();
  redis.disconnect();
  await testEnv.stop();
});

/** A token in the format digests carried before token versions: `{p, s, e}`, no `v`. */
function legacyToken(key: string, purpose: TokenPurpose, subscriberId: number): string {
  const payload = Buffer.from(JSON.stringify({ p: purpose, s: subscriberId, e: 0 })).toString('base64url');
  return `${payload}.${createHmac('sha256', key).update(payload).digest('base64url')}`;
}
const row = (id: number) =>
  t.db.selectFrom('subscribers').select(['status', 'token_version']).where('id', '=', id).executeTakeFirstOrThrow();
const get = (url: string) => app.inject({ method: 'GET', url });
const post = (url: string, payload = '') =>
  app.inject({ method: 'POST', url, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload });
const invalid = (res: { statusCode: number; body: string }) =>
  res.statusCode === 400 && res.body.includes('The link is invalid or has expired');

describe('links signed with a known secret', () => {
  it('a deployment without PAPERBOY_SECRET does not accept links signed with the old built-in default', async () => {
    const subscribers = new SubscriberRepository(t.db);
    const pending = await subscribers.subscribe('victim@example.org', { topics: [], frequency: 'daily' }, 'pending');
    const active = await subscribers.subscribe('reader@example.org', { topics: [], frequency: 'daily' }, 'active');
    // What an attacker who read the source could sign: both token formats, with and without expiry.
    const forgedConfirm = [
      legacyToken(OLD_DEFAULT_SECRET, 'confirm', pending.id),
      signToken(OLD_DEFAULT_SECRET, 'confirm', pending.id, new Date(Date.now() + 3600_000), 1),
    ];
    for (const token of forgedConfirm) expect(invalid(await get(`/confirm?token=${token}`))).toBe(true);
    expect((await row(pending.id)).status).toBe('pending');
    const forgedUnsubscribe = [
      legacyToken(OLD_DEFAULT_SECRET, 'unsubscribe', active.id),
      signToken(OLD_DEFAULT_SECRET, 'unsubscribe', active.id, null, 1),
    ];
    for (const token of forgedUnsubscribe) {
      expect(invalid(await get(`/unsubscribe?token=${token}`))).toBe(true);
      expect(invalid(await post(`/unsubscribe?token=${token}`, 'List-Unsubscribe=One-Click'))).toBe(true);
    }
    expect(invalid(await get(`/preferences?token=${legacyToken(OLD_DEFAULT_SECRET, 'preferences', active.id)}`))).toBe(
      true,
    );
    expect((await row(active.id)).status).toBe('active');
    // The links the API itself mails are signed with the database's secret, and they work.
    expect((await get(`/unsubscribe?token=${signToken(secret, 'unsubscribe', active.id, null, 1)}`)).statusCode).toBe(
      200,
    );
  });
});

describe('token versions', () => {
  it('an old digest link (pre-version format) works until the subscriber unsubscribes and subscribes again', async () => {
    const created = await app.inject({
      method: 'POST',
      url: '/api/subscriptions',
      payload: { email: 'ada@example.org', topics: ['llm'] },
    });
    expect(created.statusCode).toBe(202);
    const { id } = await t.db
      .selectFrom('subscribers')
      .select('id')
      .where('email', '=', 'ada@example.org')
      .executeTakeFirstOrThrow();
    // The confirmation mail is the notifier's job (its tests follow the mailed link); here, the link it signs.
    expect(
      (await post(`/confirm?token=${signToken(secret, 'confirm', id, new Date(Date.now() + 3600_000), 1)}`)).statusCode,
    ).toBe(200);
    expect(await row(id)).toEqual({ status: 'active', token_version: 1 }); // a first confirmation revokes nothing

    const oldUnsubscribe = legacyToken(secret, 'unsubscribe', id); // as in digests sent before this change
    const oldPreferences = legacyToken(secret, 'preferences', id);
    expect((await get(`/unsubscribe?token=${oldUnsubscribe}`)).statusCode).toBe(200);
    expect((await get(`/preferences?token=${oldPreferences}`)).statusCode).toBe(200);
    expect((await post(`/unsubscribe?token=${oldUnsubscribe}`, 'List-Unsubscribe=One-Click')).statusCode).toBe(200);
    expect((await row(id)).status).toBe('unsubscribed');
    // Unsubscribing alone bumps nothing: the same link clicked again still answers.
    expect((await post(`/unsubscribe?token=${oldUnsubscribe}`)).statusCode).toBe(200);

    // Subscribing again: the address is pending again and gets a new confirmation link.
    expect(
      (
        await app.inject({
          method: 'POST',
          url: '/api/subscriptions',
          payload: { email: 'ada@example.org', topics: ['llm'] },
        })
      ).statusCode,
    ).toBe(202);
    expect((await row(id)).status).toBe('pending');
    expect((await get(`/unsubscribe?token=${oldUnsubscribe}`)).statusCode).toBe(200); // still version 1 until confirmed
    expect((await row(id)).status).toBe('pending'); // (viewing the page changes nothing)
    const reconfirm = signToken(secret, 'confirm', id, new Date(Date.now() + 3600_000), 1);
    expect((await get(`/confirm?token=${reconfirm}`)).body).toContain('Confirm your subscription');
    expect((await row(id)).status).toBe('pending'); // (opening the link changes nothing either)
    expect((await post(`/confirm?token=${reconfirm}`)).statusCode).toBe(200);
    expect(await row(id)).toEqual({ status: 'active', token_version: 2 });

    expect(invalid(await get(`/unsubscribe?token=${oldUnsubscribe}`))).toBe(true);
    expect(invalid(await post(`/unsubscribe?token=${oldUnsubscribe}`, 'List-Unsubscribe=One-Click'))).toBe(true);
    expect(invalid(await get(`/preferences?token=${oldPreferences}`))).toBe(true);
    // The confirmation link clicked again (or fetched first by a mail scanner) still says confirmed, and changes nothing.
    const again = await get(`/confirm?token=${reconfirm}`);
    expect(again.statusCode).toBe(200);
    expect(again.body).toContain('Subscription confirmed');
    expect(await row(id)).toEqual({ status: 'active', token_version: 2 });
    expect((await row(id)).status).toBe('active');
    // Links minted for the new version work.
    expect((await get(`/preferences?token=${signToken(secret, 'preferences', id, null, 2)}`)).statusCode).toBe(200);
  });

  it('a confirmation link opened after unsubscribing does not bring the address back, nor claims it did', async () => {
    const subscribers = new SubscriberRepository(t.db);
    const { id } = await subscribers.subscribe('alice@example.org', { topics: [], frequency: 'daily' }, 'pending');
    const confirm = signToken(secret, 'confirm', id, new Date(Date.now() + 3600_000), 1);
    expect((await post(`/confirm?token=${confirm}`)).statusCode).toBe(200);
    expect((await post(`/confirm?token=${confirm}`)).body).toContain('Subscription confirmed'); // twice: still fine
    expect((await get(`/confirm?token=${confirm}`)).body).toContain('Subscription confirmed'); // opened again
    await subscribers.unsubscribe(id);
    expect(invalid(await get(`/confirm?token=${confirm}`))).toBe(true);
    expect(invalid(await post(`/confirm?token=${confirm}`))).toBe(true);
    expect(await row(id)).toEqual({ status: 'unsubscribed', token_version: 1 });
  });

  it('an operator re-adding an unsubscribed address also revokes its old links', async () => {
    const subscribers = new SubscriberRepository(t.db);
    const { id } = await subscribers.subscribe('readd@example.org', { topics: [], frequency: 'daily' }, 'active');
    const old = signToken(secret, 'preferences', id, null, 1);
    await subscribers.unsubscribe(id);
    expect((await get(`/preferences?token=${old}`)).statusCode).toBe(200);
    const again = await subscribers.subscribe('readd@example.org', { topics: [], frequency: 'daily' }, 'active');
    expect(again.tokenVersion).toBe(2);
    expect(invalid(await get(`/preferences?token=${old}`))).toBe(true);
  });

  it('"Sign out every link" on the preferences page revokes every older link, and needs a valid link itself', async () => {
    const { id } = await new SubscriberRepository(t.db).subscribe(
      'grace@example.org',
      { topics: ['vision'], frequency: 'weekly' },
      'active',
    );
    const preferences = legacyToken(secret, 'preferences', id);
    const unsubscribe = signToken(secret, 'unsubscribe', id, null, 1);
    const page = await get(`/preferences?token=${preferences}`);
    expect(page.body).toContain(`<form method="post" action="/preferences/sign-out?token=${preferences}">`);
    expect(page.body).toContain('Sign out every link');

    // Without a valid preferences link nothing happens: forged, wrong purpose, or missing.
    for (const token of [legacyToken(OLD_DEFAULT_SECRET, 'preferences', id), unsubscribe, '']) {
      expect(invalid(await post(`/preferences/sign-out?token=${token}`))).toBe(true);
    }
    expect((await get(`/preferences/sign-out?token=${preferences}`)).statusCode).toBe(404); // a GET (a link scanner) changes nothing
    expect((await row(id)).token_version).toBe(1);

    const signedOut = await post(`/preferences/sign-out?token=${preferences}`);
    expect(signedOut.statusCode).toBe(200);
    expect(signedOut.body).toContain('Every link is signed out');
    expect(await row(id)).toEqual({ status: 'active', token_version: 2 });
    expect(invalid(await get(`/preferences?token=${preferences}`))).toBe(true);
    expect(
      invalid(
        await post(
          `/preferences?token=${preferences}`,
          'frequency=daily&sendHour=7&timeZone=UTC&minUpvotes=0&maxPapers=3',
        ),
      ),
    ).toBe(true);
    expect(invalid(await post(`/unsubscribe?token=${unsubscribe}`))).toBe(true);
    expect(invalid(await post(`/preferences/sign-out?token=${preferences}`))).toBe(true); // spent
    expect((await row(id)).status).toBe('active');
    const fresh = signToken(secret, 'preferences', id, null, 2);
    expect((await get(`/preferences?token=${fresh}`)).statusCode).toBe(200);
  });
});
