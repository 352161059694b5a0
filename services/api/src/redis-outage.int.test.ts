import { Writable } from 'node:stream';
import { loadConfig } from '@paperboy/config';
import { DashboardRepository, ReaderRepository, SubscriberRepository } from '@paperboy/db';
import { loadTaxonomy, signToken } from '@paperboy/pipeline';
import { createRedis, Queues } from '@paperboy/queue';
import {
  type PrivateRedis,
  seedReadApiPapers,
  startPrivateRedis,
  type TestDatabase,
  testEnvironment,
} from '@paperboy/test-utils';
import Fastify, { type FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from './app.js';
import { setErrorHandler } from './plugins/error-handler.js';

/**
 * The reader's side of the API while Redis is down (a redis-server of this test's own, SIGKILLed):
 * feedback links, their undo, the feeds and the read API still answer; what a reader says is kept in
 * Postgres and their training is left to the planner's stale sweep; an opened link cannot be told
 * from a mail scanner's without Redis, so the person confirms with a button. The per-client limits
 * let requests through uncounted meanwhile, and count again once Redis is back.
 */
let t: TestDatabase;
let r: PrivateRedis;
let app: FastifyInstance;
let redis: ReturnType<typeof createRedis>;
let queues: Queues;
const testEnv = testEnvironment();
const { prefix } = testEnv;
const SECRET = 'outage-test-secret-Vb3Kq8Zm1Np6Wd';
const warnings: string[] = [];
let paperId: number;
let subscriberId: number;

const waitFor = async (condition: () => boolean, what: string) => {
  const deadline = Date.now() + 15_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
};

beforeAll(async () => {
  t = await testEnv.start();
  r = await startPrivateRedis();
  redis = createRedis(r.url, 'producer');
  queues = new Queues(redis, { prefix, fetchAttempts: 1 });
  await seedReadApiPapers(t.db);
  await new DashboardRepository(t.db).refresh();
  paperId = Number((await t.db.selectFrom('papers').select('id').orderBy('id').executeTakeFirstOrThrow()).id);
  subscriberId = (
    await new SubscriberRepository(t.db).subscribe('outage@example.org', { topics: [], frequency: 'daily' }, 'active')
  ).id;
  const log = new Writable({
    write(chunk, _encoding, done) {
      const line = JSON.parse(String(chunk)) as { level: number; msg: string };
      if (line.level === 40) warnings.push(line.msg);
      done();
    },
  });
  app = await buildApi({
    db: t.db,
    config: loadConfig({
      PAPERBOY_QUEUE_PREFIX: prefix,
      PAPERBOY_KEY_PREFIX: prefix,
      PAPERBOY_SECRET: SECRET,
      PAPERBOY_PUBLIC_URL: 'https://papers.example.org',
    }),
    logger: pino({ level: 'warn' }, log),
    redis,
    jobs: queues,
    taxonomy: loadTaxonomy(),
    feedbackPerIpPerMinute: 3,
    readCacheMs: 0,
  });
  await waitFor(() => redis.status === 'ready', 'Redis ready');
});
afterAll(async () => {
  await app?.close();
  await queues?.close();
  redis?.disconnect();
  await r?.close();
  await testEnv.stop();
});

const token = (signal: 1 | -1) => signToken(SECRET, 'feedback', subscriberId, null, 1, { paperId, signal });
const words = () =>
  t.db.selectFrom('paper_feedback').select('signal').where('subscriber_id', '=', subscriberId).execute();
const from = '198.51.100.7';

describe('with Redis down', () => {
  it('feedback, undo, feeds and reads still answer; the word is kept and its training left to the stale sweep', async () => {
    // Up: a first click records at once and counts against the limit.
    expect((await app.inject({ url: `/feedback?token=${token(1)}`, remoteAddress: from })).body).toContain('Noted');
    expect(await words()).toEqual([{ signal: 1 }]);
    expect(Number(await redis.get(`${prefix}:ratelimit:feedback:${from}`))).toBe(1);

    await r.kill();
    await waitFor(() => redis.status !== 'ready', 'the client to see Redis gone');

    // An opened link is not kept: without the scanner check the person confirms (a form post).
    const opened = await app.inject({ url: `/feedback?token=${token(-1)}`, remoteAddress: from });
    expect(opened.statusCode).toBe(200);
    expect(opened.body).toContain('<h1>Confirm</h1>');
    expect(opened.body).toContain(`<form method="post" action="/feedback?token=${token(-1)}">`);
    expect(await words()).toEqual([{ signal: 1 }]);

    // The button records in Postgres; the training cannot be queued and is logged.
    const confirmed = await app.inject({ method: 'POST', url: `/feedback?token=${token(-1)}`, remoteAddress: from });
    expect(confirmed.statusCode).toBe(200);
    expect(confirmed.body).toContain('Noted: you want fewer papers like');
    expect(await words()).toEqual([{ signal: -1 }]);

    // Undo works, and gives back the earlier word; the limit (3 a minute) is not counted meanwhile.
    const undone = await app.inject({ method: 'POST', url: `/feedback/undo?token=${token(-1)}`, remoteAddress: from });
    expect(undone.statusCode).toBe(200);
    expect(undone.body).toContain('Your earlier word stands again: you want more papers like it.');
    expect(await words()).toEqual([{ signal: 1 }]);

    // Feeds and the read API answer from Postgres.
    for (const url of ['/feeds/topics/generative.rss', '/feeds/search.json?q=diffusion', '/api/papers?limit=3']) {
      const res = await app.inject({ url, remoteAddress: from });
      expect(res.statusCode, url).toBe(200);
    }
    expect(warnings).toContain('feedback scanner check unavailable (Redis unreachable): asking the reader to confirm');
    expect(warnings).toContain(
      'train-reader not queued (Redis unreachable); the stale sweep of plan-digests queues it later',
    );
    expect(warnings).toContain('per-client limits not counted: Redis unreachable (requests let through)');
    // Nothing lost: the reader is one the planner's sweep queues a training for.
    expect(await new ReaderRepository(t.db).staleReaders(100)).toContain(subscriberId);

    // Back (empty): the limits count again, the links record at once again.
    await r.start();
    await waitFor(() => redis.status === 'ready', 'the client to reconnect');
    const again = await app.inject({ url: `/feedback?token=${token(-1)}`, remoteAddress: from });
    expect(again.body).toContain('Noted: you want fewer papers like');
    expect(await words()).toEqual([{ signal: -1 }]);
    expect(Number(await redis.get(`${prefix}:ratelimit:feedback:${from}`))).toBe(1);
  }, 60_000);
});

describe('a page that fails on our side', () => {
  it('answers a person with a page naming the request, never the cause; an API route keeps its JSON', async () => {
    const bare = Fastify({ logger: false });
    setErrorHandler(bare);
    bare.get('/preferences', async () => {
      throw new Error('relation "subscriber_preferences" does not exist');
    });
    bare.get('/api/papers', async () => {
      throw new Error('relation "papers" does not exist');
    });
    try {
      const page = await bare.inject({ url: '/preferences' });
      expect(page.statusCode).toBe(500);
      expect(page.headers['content-type']).toContain('text/html');
      expect(page.body).toContain('<h1>Something went wrong</h1>');
      expect(page.body).toContain('Reference: <code>req-1</code>');
      expect(page.body).not.toContain('relation');
      const api = await bare.inject({ url: '/api/papers' });
      expect(api.statusCode).toBe(500);
      expect(api.json()).toEqual({ error: 'internal error', requestId: 'req-2' });
    } finally {
      await bare.close();
    }
  });
});
