import { buildApi } from '@paperboy/api';
import { loadConfig } from '@paperboy/config';
import { DigestRepository, SubscriberRepository } from '@paperboy/db';
import { createTransport } from '@paperboy/mail';
import { loadTaxonomy, signToken } from '@paperboy/pipeline';
import { createRedis, UnrecoverableError } from '@paperboy/queue';
import {
  createTestDatabase,
  requireEnv,
  type SmtpTestServer,
  seedSendDigestPapers,
  setPreferenceTopics,
  startSmtpTestServer,
  type TestDatabase,
} from '@paperboy/test-utils';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSendDigestHandler } from './send-digest.handler.js';

let t: TestDatabase;
const servers: SmtpTestServer[] = [];
const logger = pino({ level: 'silent' });
const TEST_SECRET = 'send-digest-test-secret-Kq8Zr2Lw5Vn7Xb3';
const job = { queueName: 'notify', id: 'test', name: 'send-digest', data: {} } as never;

beforeAll(async () => {
  t = await createTestDatabase();
  await seedSendDigestPapers(t.db);
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await t?.drop();
});

async function setup(email: string, server: SmtpTestServer, env: Record<string, string> = {}) {
  const config = loadConfig({
    SMTP_URL: server.url,
    PAPERBOY_SECRET: TEST_SECRET,
    PAPERBOY_PUBLIC_URL: 'https://localhost:3000',
    ...env,
  });
  const subscribers = new SubscriberRepository(t.db);
  const { id } = await subscribers.subscribe(email, { topics: ['llm'], frequency: 'daily' }, 'active');
  const [delivery] = await new DigestRepository(t.db).planDeliveries([{ id, email, periodKey: 'daily-2026-11-28' }]);
  const transport = createTransport({ smtpUrl: server.url, outboxDir: '/tmp/unused', pool: false });
  const handler = createSendDigestHandler({ db: t.db, logger, config, transport });
  return { id, deliveryId: delivery!.deliveryId, handler, transport, subscribers };
}

const delivery = (id: number) =>
  t.db.selectFrom('deliveries').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

describe('send-digest', () => {
  it('sends a digest once: escaped, with unsubscribe headers; the same job again sends nothing', async () => {
    const server = await startSmtpTestServer();
    servers.push(server);
    const { id, deliveryId, handler, transport } = await setup('reader@example.org', server);
    expect(await handler({ deliveryId, subscriberId: id }, job)).toMatchObject({ outcome: 'sent', papers: 2 });
    expect(await handler({ deliveryId, subscriberId: id }, job)).toMatchObject({ outcome: 'not-claimed' });
    await transport.close();
    expect(server.messages).toHaveLength(1);
    const mail = server.messages[0]!.parsed;
    const header = (name: string) =>
      mail.headerLines
        .find((h) => h.key === name)
        ?.line.replace(/^[^:]+:\s*/, '')
        .replace(/\r?\n\s+/g, ' ');
    expect(header('list-unsubscribe-post')).toBe('List-Unsubscribe=One-Click');
    // Only the URL the API processes: no mailto (nothing reads that mailbox).
    expect(header('list-unsubscribe')).toMatch(/^<https:\/\/localhost:3000\/unsubscribe\?token=[\w.-]+>$/);
    expect(mail.headerLines.map((h) => h.line).join('\n')).not.toMatch(/mailto:/i);
    expect(header('list-id')).toBe('paperboy digest <digest.localhost>');
    expect(header('bcc')).toBeUndefined();
    expect(mail.html).not.toContain('<script>alert(1)</script>');
    expect(mail.html).toContain('&lt;script&gt;');
    expect(mail.text).toContain('<script>alert(1)</script>');
    expect(await delivery(deliveryId)).toMatchObject({ status: 'sent', attempts: 1 });
    const sent = await t.db.selectFrom('delivered_papers').select('paper_id').where('subscriber_id', '=', id).execute();
    expect(sent).toHaveLength(2);
  });

  it('after a crash between claim and send, a retry sends nothing (at most once)', async () => {
    const server = await startSmtpTestServer();
    servers.push(server);
    const { id, deliveryId, handler, transport, subscribers } = await setup('crash@example.org', server);
    await subscribers.claimDelivery(deliveryId); // a worker claimed it, then died before or during SMTP
    expect(await handler({ deliveryId, subscriberId: id }, job)).toMatchObject({ outcome: 'not-claimed' });
    await transport.close();
    expect(server.messages).toHaveLength(0);
    expect(await delivery(deliveryId)).toMatchObject({ status: 'claimed' });
  });

  it('SMTP 4xx releases the claim and throws to retry; the retry sends', async () => {
    const server = await startSmtpTestServer({
      rejectRcpt: { responseCode: 451, message: 'Try again later' },
      rejectTimes: 1,
    });
    servers.push(server);
    const { id, deliveryId, handler, transport } = await setup('later@example.org', server);
    const first = await handler({ deliveryId, subscriberId: id }, job).catch((e) => e);
    expect(first).not.toBeInstanceOf(UnrecoverableError);
    expect(first.responseCode).toBe(451);
    expect(await delivery(deliveryId)).toMatchObject({ status: 'planned' });
    expect(await handler({ deliveryId, subscriberId: id }, job)).toMatchObject({ outcome: 'sent' });
    await transport.close();
    expect(server.messages).toHaveLength(1);
    expect(await delivery(deliveryId)).toMatchObject({ status: 'sent', attempts: 2 });
  });

  it('a connection lost after the message data, with no reply: the server may have taken it, so it stays claimed and is not retried', async () => {
    const server = await startSmtpTestServer({ stallData: 1 });
    servers.push(server);
    const { id, deliveryId, handler, transport } = await setup('unsure@example.org', server);
    const sending = handler({ deliveryId, subscriberId: id }, job).catch((e) => e);
    while (server.stalled < 1) await new Promise((r) => setTimeout(r, 20));
    server.dropConnections(); // the server crashes before answering the final dot
    const error = await sending;
    expect(error).toBeInstanceOf(UnrecoverableError);
    expect(error.message).toMatch(/outcome unknown/);
    expect(await delivery(deliveryId)).toMatchObject({
      status: 'claimed',
      error: expect.stringMatching(/^outcome unknown/),
    });
    // A retry of the job (or a stalled copy) sends nothing: at most once.
    expect(await handler({ deliveryId, subscriberId: id }, job)).toMatchObject({ outcome: 'not-claimed' });
    await transport.close();
    expect(server.messages).toHaveLength(0);
  });

  it('SMTP 5xx fails the delivery without retry and counts a bounce; at the limit the subscriber is bounced', async () => {
    const server = await startSmtpTestServer({ rejectRcpt: { responseCode: 550, message: 'No such user' } });
    servers.push(server);
    const { id, deliveryId, handler, transport } = await setup('gone@example.org', server, {
      PAPERBOY_BOUNCE_LIMIT: '1',
    });
    const error = await handler({ deliveryId, subscriberId: id }, job).catch((e) => e);
    await transport.close();
    expect(error).toBeInstanceOf(UnrecoverableError);
    expect(await delivery(deliveryId)).toMatchObject({ status: 'failed' });
    const subscriber = await t.db.selectFrom('subscribers').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(subscriber).toMatchObject({ status: 'bounced', hard_bounces: 1 });
  });

  it('a one-click unsubscribe through the API stops the planned digest', async () => {
    const server = await startSmtpTestServer();
    servers.push(server);
    const { id, deliveryId, handler, transport } = await setup('oneclick@example.org', server);
    const config = loadConfig({ PAPERBOY_SECRET: TEST_SECRET });
    const redis = createRedis(requireEnv('TEST_REDIS_URL'), 'producer');
    const api = await buildApi({ db: t.db, config, logger, redis, taxonomy: loadTaxonomy() });
    const res = await api.inject({
      method: 'POST',
      url: `/unsubscribe?token=${signToken(TEST_SECRET, 'unsubscribe', id, null, 1)}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'List-Unsubscribe=One-Click',
    });
    await api.close();
    redis.disconnect();
    expect(res.statusCode).toBe(200);
    expect(await handler({ deliveryId, subscriberId: id }, job)).toMatchObject({ outcome: 'not-claimed' });
    await transport.close();
    expect(server.messages).toHaveLength(0);
    expect(await delivery(deliveryId)).toMatchObject({ status: 'skipped', error: 'unsubscribed' });
  });

  it('digest links carry the subscriber\'s token version: after "sign out every link" the new digest\'s link works, the old one does not', async () => {
    const server = await startSmtpTestServer();
    servers.push(server);
    const { id, deliveryId, handler, transport, subscribers } = await setup('versions@example.org', server);
    const config = loadConfig({ PAPERBOY_SECRET: TEST_SECRET });
    const before = signToken(TEST_SECRET, 'unsubscribe', id, null, 1); // a link of an earlier digest
    expect(await subscribers.signOutEverywhere(id)).toBe(2);
    expect(await handler({ deliveryId, subscriberId: id }, job)).toMatchObject({ outcome: 'sent' });
    await transport.close();
    const header = server.messages[0]!.parsed.headerLines.find((h) => h.key === 'list-unsubscribe')!.line;
    const token = /token=([\w.-]+)>/.exec(header)![1]!;
    expect(JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString())).toMatchObject({
      p: 'unsubscribe',
      s: id,
      v: 2,
    });
    const redis = createRedis(requireEnv('TEST_REDIS_URL'), 'producer');
    const api = await buildApi({ db: t.db, config, logger, redis, taxonomy: loadTaxonomy() });
    const old = await api.inject({ method: 'POST', url: `/unsubscribe?token=${before}` });
    const current = await api.inject({ method: 'POST', url: `/unsubscribe?token=${token}` });
    await api.close();
    redis.disconnect();
    expect(old.statusCode).toBe(400);
    expect(current.statusCode).toBe(200);
  });

  it('an unsubscribed subscriber gets nothing, and an empty digest is skipped', async () => {
    const server = await startSmtpTestServer();
    servers.push(server);
    const gone = await setup('left@example.org', server);
    await gone.subscribers.unsubscribe(gone.id);
    expect(await gone.handler({ deliveryId: gone.deliveryId, subscriberId: gone.id }, job)).toMatchObject({
      outcome: 'not-claimed',
    });
    const empty = await setup('nothing@example.org', server);
    await setPreferenceTopics(t.db, empty.id, ['vision']);
    expect(await empty.handler({ deliveryId: empty.deliveryId, subscriberId: empty.id }, job)).toMatchObject({
      outcome: 'skipped',
    });
    await Promise.all([gone.transport.close(), empty.transport.close()]);
    expect(server.messages).toHaveLength(0);
  });
});
