import { loadConfig } from '@paperboy/config';
import { loadTaxonomy, signToken } from '@paperboy/pipeline';
import { createRedis, Queues } from '@paperboy/queue';
import { insertSubscriberRow, type TestDatabase, testEnvironment } from '@paperboy/test-utils';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from './app.js';

let t: TestDatabase;
let app: FastifyInstance;
const testEnv = testEnvironment();
const { prefix, redisUrl } = testEnv;
const redis = createRedis(redisUrl, 'producer');
const config = loadConfig({
  PAPERBOY_QUEUE_PREFIX: prefix,
  PAPERBOY_SECRET: 'api-test-secret-Rm4Tq9Wz2Xc7Vb5Nk8',
  PAPERBOY_PUBLIC_URL: 'https://papers.example.org',
});

// What the API logs (a bounced address is reported to the operator here, never to the visitor).
const logLines: Array<Record<string, unknown>> = [];
const logger = pino({ level: 'info' }, { write: (line: string) => void logLines.push(JSON.parse(line)) });
// No notifier runs here: the tests read the confirmation jobs the API queues (services/notifier sends them).
const queues = new Queues(redis, { prefix, fetchAttempts: 1 });

beforeAll(async () => {
  t = await testEnv.start();
  app = await buildApi({ db: t.db, config, logger, redis, taxonomy: loadTaxonomy(), perIpPerMinute: 1000 });
});
afterAll(async () => {
  await app?.close();
  await queues.close();
  redis.disconnect();
  await testEnv.stop();
});

const status = async (email: string) =>
  (await t.db.selectFrom('subscribers').select('status').where('email', '=', email).executeTakeFirst())?.status;
const idOf = async (email: string) =>
  (await t.db.selectFrom('subscribers').select('id').where('email', '=', email).executeTakeFirstOrThrow()).id;
/** Payloads of the confirmation jobs queued for a subscriber. */
const confirmationJobs = async (subscriberId: number) =>
  (await queues.get('notify').getJobs(['waiting', 'delayed', 'prioritized', 'active', 'completed']))
    .filter((j) => j.name === 'send-confirmation' && j.data.subscriberId === subscriberId)
    .map((j) => j.data);
/** As if the notifier had sent them: a job that is gone no longer holds back the next one for its address. */
const sendConfirmations = async (subscriberId: number) => {
  for (const job of await queues.get('notify').getJobs(['waiting']))
    if (job.data.subscriberId === subscriberId) await job.remove();
};

describe('subscription API', () => {
  it('double opt-in: subscribe queues a confirmation job carrying the subscriber id only; the link activates', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/subscriptions',
      payload: { email: ' Ada@Example.org ', topics: ['llm', 'agents'], frequency: 'weekly' },
    });
    expect(res.statusCode).toBe(202);
    expect(await status('ada@example.org')).toBe('pending');
    const ada = await idOf('ada@example.org');
    expect(await confirmationJobs(ada)).toEqual([{ subscriberId: ada }]); // no address, no mail in Redis
    // The notifier's job signs this link (services/notifier tests the mail itself).
    const url = `/confirm?token=${signToken(config.mail.secret!, 'confirm', ada, new Date(Date.now() + 3600_000), 1)}`;
    // Opening the link (as a mail scanner does) asks; only its button confirms.
    const opened = await app.inject({ method: 'GET', url });
    expect(opened.statusCode).toBe(200);
    expect(opened.body).toContain('Confirm your subscription');
    expect(opened.body).toContain(`<form method="post" action="${url}"`);
    expect(await status('ada@example.org')).toBe('pending');
    const confirm = await app.inject({ method: 'POST', url });
    expect(confirm.statusCode).toBe(200);
    expect(confirm.body).toContain('Subscription confirmed');
    expect(await status('ada@example.org')).toBe('active');
    // Opened again: says so, changes nothing.
    expect((await app.inject({ method: 'GET', url })).body).toContain('Subscription confirmed');
  });

  it('never reveals whether an address is subscribed', async () => {
    const known = await app.inject({
      method: 'POST',
      url: '/api/subscriptions',
      payload: { email: 'ada@example.org', topics: [] },
    });
    const fresh = await app.inject({
      method: 'POST',
      url: '/api/subscriptions',
      payload: { email: 'nobody@example.org', topics: [] },
    });
    expect(known.statusCode).toBe(fresh.statusCode);
    expect(known.body).toBe(fresh.body);
    expect(await confirmationJobs(await idOf('ada@example.org'))).toHaveLength(1); // no second mail to an active address
  });

  it('answers bad input with clear 4xx errors', async () => {
    const bad = await app.inject({
      method: 'POST',
      url: '/api/subscriptions',
      payload: { email: 'not-an-address', topics: ['astrology'], frequency: 'hourly' },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().details.join('\n')).toMatch(/topics\.0: Invalid enum value/);
    expect(bad.json().details.join('\n')).toMatch(/frequency/);
    expect(bad.json()).toMatchObject({ error: 'invalid request' });
    expect(bad.json().details).toContain('email: not an email address'); // named with the rest, not after they are fixed
    const tz = await app.inject({
      method: 'POST',
      url: '/api/subscriptions',
      payload: { email: 'a@example.org', timeZone: 'Mars/Olympus' },
    });
    expect(tz.json().details).toEqual(['timeZone: not an IANA time zone']);
    // Intl accepts these, Postgres (where the digest planner uses them) does not.
    for (const timeZone of ['US/Pacific-New', 'Canada/East-Saskatchewan']) {
      const legacy = await app.inject({
        method: 'POST',
        url: '/api/subscriptions',
        payload: { email: 'legacy-zone@example.org', timeZone },
      });
      expect(legacy.statusCode, timeZone).toBe(400);
      expect(legacy.json().details).toEqual(['timeZone: not an IANA time zone']);
    }
    expect(await status('legacy-zone@example.org')).toBeUndefined();
    expect(
      (
        await app.inject({
          method: 'POST',
          url: '/api/subscriptions',
          payload: { email: 'zone-ok@example.org', timeZone: 'america/new_york' },
        })
      ).statusCode,
    ).toBe(202);
    expect((await app.inject({ method: 'GET', url: '/confirm?token=garbage' })).statusCode).toBe(400);
  });

  it('repeated requests for one address get the same answer and queue one mail: no lockout signal, no flood', async () => {
    // The old per-request counter answered 429 from the 4th request on, locking the address's owner out for an hour.
    const answers = [];
    for (let i = 0; i < 10; i++)
      answers.push(
        await app.inject({ method: 'POST', url: '/api/subscriptions', payload: { email: 'spam@example.org' } }),
      );
    expect(answers.map((a) => a.statusCode)).toEqual(Array(10).fill(202));
    expect(new Set(answers.map((a) => a.body)).size).toBe(1);
    // One job while one waits; the send job caps mails per address and hour (tested in services/notifier).
    expect(await confirmationJobs(await idOf('spam@example.org'))).toHaveLength(1);
  });

  it('the subscribe page works without JavaScript and escapes what it echoes', async () => {
    const form = await app.inject({ method: 'GET', url: '/subscribe' });
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('<form method="post" action="/subscribe">');
    expect(form.body).toContain('value="speech-audio"');
    const bad = await app.inject({
      method: 'POST',
      url: '/subscribe',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'email=%22%3E%3Cscript%3Ex%3C%2Fscript%3E&topics=llm',
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).not.toContain('<script>x</script>');
    expect(bad.body).toContain('&quot;&gt;&lt;script&gt;');
    const ok = await app.inject({
      method: 'POST',
      url: '/subscribe',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'email=grace%40example.org&topics=llm&topics=vision&frequency=daily',
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.body).toContain('Check your inbox');
    const prefs = await t.db
      .selectFrom('subscriber_preferences as p')
      .innerJoin('subscribers as s', 's.id', 'p.subscriber_id')
      .select(['p.topics'])
      .where('s.email', '=', 'grace@example.org')
      .executeTakeFirstOrThrow();
    expect(prefs.topics).toEqual(['llm', 'vision']);
  });

  it('a preferences page reached by a signed link shows and saves the preferences', async () => {
    const grace = await t.db
      .selectFrom('subscribers')
      .select('id')
      .where('email', '=', 'grace@example.org')
      .executeTakeFirstOrThrow();
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
    const prefs = await t.db
      .selectFrom('subscriber_preferences')
      .selectAll()
      .where('subscriber_id', '=', grace.id)
      .executeTakeFirstOrThrow();
    expect(prefs).toMatchObject({
      topics: ['safety'],
      frequency: 'weekly',
      send_hour: 7,
      time_zone: 'Europe/Paris',
      min_upvotes: 5,
      max_papers: 3,
    });
    const bad = await app.inject({
      method: 'POST',
      url: `/preferences?token=${token}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'frequency=weekly&sendHour=25&timeZone=Nowhere&minUpvotes=0&maxPapers=3',
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toMatch(/sendHour/);
    const legacyZone = await app.inject({
      method: 'POST',
      url: `/preferences?token=${token}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'frequency=weekly&sendHour=7&timeZone=US%2FPacific-New&minUpvotes=0&maxPapers=3',
    });
    expect(legacyZone.statusCode).toBe(400);
    expect(legacyZone.body).toContain('timeZone: not an IANA time zone');
    expect(
      (
        await t.db
          .selectFrom('subscriber_preferences')
          .select('time_zone')
          .where('subscriber_id', '=', grace.id)
          .executeTakeFirstOrThrow()
      ).time_zone,
    ).toBe('Europe/Paris');
    const unsubscribeToken = signToken(config.mail.secret!, 'unsubscribe', grace.id, null, 1);
    expect((await app.inject({ method: 'GET', url: `/preferences?token=${unsubscribeToken}` })).statusCode).toBe(400);
  });

  it('rate-limits subscribe requests per IP', async () => {
    const strict = await buildApi({
      db: t.db,
      config,
      logger: pino({ level: 'silent' }),
      redis,
      taxonomy: loadTaxonomy(),
      perIpPerMinute: 2,
    });
    const codes = [];
    for (let i = 0; i < 3; i++)
      codes.push(
        (
          await strict.inject({
            method: 'POST',
            url: '/api/subscriptions',
            payload: { email: `ip${i}@example.org` },
            remoteAddress: '203.0.113.9',
          })
        ).statusCode,
      );
    await strict.close();
    expect(codes).toEqual([202, 202, 429]);
  });

  it('one-click unsubscribe (RFC 8058) and the page with a button both unsubscribe', async () => {
    const ada = await t.db
      .selectFrom('subscribers')
      .select('id')
      .where('email', '=', 'ada@example.org')
      .executeTakeFirstOrThrow();
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

  it('an address that unsubscribed can subscribe again: pending, a new confirmation, and confirming re-activates it', async () => {
    // 'ada' unsubscribed in the test above.
    expect(await status('ada@example.org')).toBe('unsubscribed');
    const ada = await idOf('ada@example.org');
    await sendConfirmations(ada);
    const res = await app.inject({
      method: 'POST',
      url: '/api/subscriptions',
      payload: { email: 'ada@example.org', topics: ['vision'], frequency: 'daily' },
    });
    expect(res.statusCode).toBe(202);
    expect(await status('ada@example.org')).toBe('pending'); // no digest until it confirms
    expect(await confirmationJobs(ada)).toEqual([{ subscriberId: ada }]);
    const prefs = await t.db
      .selectFrom('subscriber_preferences')
      .selectAll()
      .where('subscriber_id', '=', ada)
      .executeTakeFirstOrThrow();
    expect(prefs).toMatchObject({ topics: ['vision'], frequency: 'daily' });
    const confirm = await app.inject({
      method: 'POST',
      url: `/confirm?token=${signToken(config.mail.secret!, 'confirm', ada, new Date(Date.now() + 3600_000), 1)}`,
    });
    expect(confirm.statusCode).toBe(200);
    const row = await t.db.selectFrom('subscribers').selectAll().where('id', '=', ada).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ status: 'active', unsubscribed_at: null });
  });

  it('a bounced address gets no mail and the same answer; the operator is told in the log', async () => {
    const fresh = await app.inject({
      method: 'POST',
      url: '/api/subscriptions',
      payload: { email: 'fresh-one@example.org' },
    });
    const id = await insertSubscriberRow(t.db, {
      email: 'bounced@example.org',
      status: 'bounced',
      bounced_at: new Date(),
      hard_bounces: 3,
    });
    const bounced = await app.inject({
      method: 'POST',
      url: '/api/subscriptions',
      payload: { email: 'bounced@example.org' },
    });
    expect(bounced.statusCode).toBe(fresh.statusCode);
    expect(bounced.body).toBe(fresh.body);
    expect(await confirmationJobs(id)).toEqual([]);
    expect(await status('bounced@example.org')).toBe('bounced');
    expect(logLines.find((l) => l.subscriberId === id && l.level === 40)?.msg).toMatch(
      /bounced address: no confirmation mail/,
    );
    const form = await app.inject({
      method: 'POST',
      url: '/subscribe',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'email=bounced%40example.org',
    });
    const freshForm = await app.inject({
      method: 'POST',
      url: '/subscribe',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'email=fresh-two%40example.org',
    });
    expect(form.statusCode).toBe(200);
    expect(form.body).toBe(freshForm.body);
  });
});
