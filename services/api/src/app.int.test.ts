import { loadConfig } from '@paperboy/config';
import { createTransport, type MailTransport } from '@paperboy/mail';
import { loadTaxonomy, signToken } from '@paperboy/pipeline';
import { createRedis } from '@paperboy/queue';
import { createTestDatabase, deleteRedisPrefix, requireEnv, startSmtpTestServer, testQueuePrefix, type SmtpTestServer, type TestDatabase } from '@paperboy/test-utils';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from './app.js';

let t: TestDatabase;
let smtp: SmtpTestServer;
let transport: MailTransport;
let app: FastifyInstance;
const prefix = testQueuePrefix();
const redis = createRedis(requireEnv('TEST_REDIS_URL'), 'producer');
const config = loadConfig({ PAPERBOY_QUEUE_PREFIX: prefix, PAPERBOY_SECRET: 'api-test-secret-Rm4Tq9Wz2Xc7Vb5Nk8', PAPERBOY_PUBLIC_URL: 'https://papers.example.org' });

beforeAll(async () => {
  t = await createTestDatabase();
  smtp = await startSmtpTestServer();
  transport = createTransport({ smtpUrl: smtp.url, outboxDir: '/tmp/unused', pool: false });
  app = await buildApi({ db: t.db, config, logger: pino({ level: 'silent' }), redis, transport, taxonomy: loadTaxonomy(), perIpPerMinute: 1000 });
});
afterAll(async () => {
  await app?.close();
  await transport?.close();
  await smtp?.close();
  redis.disconnect();
  await t?.drop();
  await deleteRedisPrefix(requireEnv('TEST_REDIS_URL'), prefix);
});

const status = async (email: string) => (await t.db.selectFrom('subscribers').select('status').where('email', '=', email).executeTakeFirst())?.status;
const linkIn = (text: string, path: string) => new URL(new RegExp(`https://papers\\.example\\.org${path}\\?token=[\\w.-]+`).exec(text)![0]);

describe('subscription API', () => {
  it('double opt-in: subscribe sends a confirmation link; the link activates', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/subscriptions', payload: { email: ' Ada@Example.org ', topics: ['llm', 'agents'], frequency: 'weekly' } });
    expect(res.statusCode).toBe(202);
    expect(await status('ada@example.org')).toBe('pending');
    expect(smtp.messages).toHaveLength(1);
    const link = linkIn(smtp.messages[0]!.parsed.text ?? '', '/confirm');
    const confirm = await app.inject({ method: 'GET', url: `${link.pathname}${link.search}` });
    expect(confirm.statusCode).toBe(200);
    expect(confirm.body).toContain('Subscription confirmed');
    expect(await status('ada@example.org')).toBe('active');
  });

  it('never reveals whether an address is subscribed', async () => {
    const known = await app.inject({ method: 'POST', url: '/api/subscriptions', payload: { email: 'ada@example.org', topics: [] } });
    const fresh = await app.inject({ method: 'POST', url: '/api/subscriptions', payload: { email: 'nobody@example.org', topics: [] } });
    expect(known.statusCode).toBe(fresh.statusCode);
    expect(known.body).toBe(fresh.body);
    expect(smtp.messages.filter((m) => m.rcptTo[0] === 'ada@example.org')).toHaveLength(1); // no second mail to an active address
  });

  it('answers bad input with clear 4xx errors', async () => {
    const bad = await app.inject({ method: 'POST', url: '/api/subscriptions', payload: { email: 'not-an-address', topics: ['astrology'], frequency: 'hourly' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().details.join('\n')).toMatch(/topics\.0: Invalid enum value/);
    expect(bad.json().details.join('\n')).toMatch(/frequency/);
    expect(bad.json()).toMatchObject({ error: 'invalid request' });
    expect(bad.json().details).toContain('email: not an email address'); // named with the rest, not after they are fixed
    const tz = await app.inject({ method: 'POST', url: '/api/subscriptions', payload: { email: 'a@example.org', timeZone: 'Mars/Olympus' } });
    expect(tz.json().details).toEqual(['timeZone: not an IANA time zone']);
    expect((await app.inject({ method: 'GET', url: '/confirm?token=garbage' })).statusCode).toBe(400);
  });

  it('rate-limits subscribe requests per address', async () => {
    const codes = [];
    for (let i = 0; i < 5; i++) codes.push((await app.inject({ method: 'POST', url: '/api/subscriptions', payload: { email: 'spam@example.org' } })).statusCode);
    expect(codes).toEqual([202, 202, 202, 429, 429]);
    expect(smtp.messages.filter((m) => m.rcptTo[0] === 'spam@example.org')).toHaveLength(3);
  });

  it('the subscribe page works without JavaScript and escapes what it echoes', async () => {
    const form = await app.inject({ method: 'GET', url: '/subscribe' });
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('<form method="post" action="/subscribe">');
    expect(form.body).toContain('value="speech-audio"');
    const bad = await app.inject({ method: 'POST', url: '/subscribe', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'email=%22%3E%3Cscript%3Ex%3C%2Fscript%3E&topics=llm' });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).not.toContain('<script>x</script>');
    expect(bad.body).toContain('&quot;&gt;&lt;script&gt;');
    const ok = await app.inject({ method: 'POST', url: '/subscribe', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'email=grace%40example.org&topics=llm&topics=vision&frequency=daily' });
    expect(ok.statusCode).toBe(200);
    expect(ok.body).toContain('Check your inbox');
    const prefs = await t.db.selectFrom('subscriber_preferences as p').innerJoin('subscribers as s', 's.id', 'p.subscriber_id').select(['p.topics']).where('s.email', '=', 'grace@example.org').executeTakeFirstOrThrow();
    expect(prefs.topics).toEqual(['llm', 'vision']);
  });

  it('a preferences page reached by a signed link shows and saves the preferences', async () => {
    const grace = await t.db.selectFrom('subscribers').select('id').where('email', '=', 'grace@example.org').executeTakeFirstOrThrow();
    const token = signToken(config.mail.secret!, 'preferences', grace.id, null, 1);
    const page = await app.inject({ method: 'GET', url: `/preferences?token=${token}` });
    expect(page.statusCode).toBe(200);
    expect(page.body).toMatch(/value="llm" checked/);
    const saved = await app.inject({
      method: 'POST',
      url: `/preferences?token=${token}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'topics=safety&frequency=weekly&sendHour=7&timeZone=Europe%2FParis&minUpvotes=5&maxPapers=3',
    });
    expect(saved.statusCode).toBe(200);
    expect(saved.body).toContain('Saved.');
    const prefs = await t.db.selectFrom('subscriber_preferences').selectAll().where('subscriber_id', '=', grace.id).executeTakeFirstOrThrow();
    expect(prefs).toMatchObject({ topics: ['safety'], frequency: 'weekly', send_hour: 7, time_zone: 'Europe/Paris', min_upvotes: 5, max_papers: 3 });
    const bad = await app.inject({ method: 'POST', url: `/preferences?token=${token}`, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'frequency=weekly&sendHour=25&timeZone=Nowhere&minUpvotes=0&maxPapers=3' });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toMatch(/sendHour/);
    const unsubscribeToken = signToken(config.mail.secret!, 'unsubscribe', grace.id, null, 1);
    expect((await app.inject({ method: 'GET', url: `/preferences?token=${unsubscribeToken}` })).statusCode).toBe(400);
  });

  it('rate-limits subscribe requests per IP', async () => {
    const strict = await buildApi({ db: t.db, config, logger: pino({ level: 'silent' }), redis, transport, taxonomy: loadTaxonomy(), perIpPerMinute: 2 });
    const codes = [];
    for (let i = 0; i < 3; i++) codes.push((await strict.inject({ method: 'POST', url: '/api/subscriptions', payload: { email: `ip${i}@example.org` }, remoteAddress: '203.0.113.9' })).statusCode);
    await strict.close();
    expect(codes).toEqual([202, 202, 429]);
  });

  it('one-click unsubscribe (RFC 8058) and the page with a button both unsubscribe', async () => {
    const ada = await t.db.selectFrom('subscribers').select('id').where('email', '=', 'ada@example.org').executeTakeFirstOrThrow();
    const token = signToken(config.mail.secret!, 'unsubscribe', ada.id, null, 1);
    const page = await app.inject({ method: 'GET', url: `/unsubscribe?token=${token}` });
    expect(page.body).toContain('<button type="submit">Unsubscribe</button>');
    expect(await status('ada@example.org')).toBe('active'); // a GET (a mail scanner following links) changes nothing
    const oneClick = await app.inject({
      method: 'POST',
      url: `/unsubscribe?token=${token}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'List-Unsubscribe=One-Click',
    });
    expect(oneClick.statusCode).toBe(200);
    expect(await status('ada@example.org')).toBe('unsubscribed');
    const forged = signToken('another-secret-0123456789', 'unsubscribe', ada.id, null, 1);
    expect((await app.inject({ method: 'POST', url: `/unsubscribe?token=${forged}` })).statusCode).toBe(400);
  });
});
