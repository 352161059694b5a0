import { buildApi } from '@paperboy/api';
import { type AppContext, createAppContext } from '@paperboy/app';
import { type Config, loadConfig } from '@paperboy/config';
import { CrawlRepository } from '@paperboy/db';
import { addFetcher, sourceSchedules } from '@paperboy/fetcher';
import { HostLimiter, RobotsCache } from '@paperboy/http';
import { loadTaxonomy } from '@paperboy/pipeline';
import { addProcessor } from '@paperboy/processor';
import { createRedis, Queues, type RedisClient } from '@paperboy/queue';
import { ScheduleKeeper } from '@paperboy/runtime';
import { parseSourcesFile } from '@paperboy/sources-file';
import {
  createTestDatabase,
  type FixtureServer,
  type PrivateRedisCluster,
  startFixtureServer,
  startPrivateRedisCluster,
  type TestDatabase,
  testQueuePrefix,
} from '@paperboy/test-utils';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hfApiListing, localFetch } from './helpers.js';

// paperboy on a real Redis Cluster (issue 10, "Beyond one machine"): three masters started by the
// test, REDIS_URL=redis+cluster://…, and every part that keeps state in Redis run against it.
const listing = hfApiListing();
const PAPERS = 30;
const logger = pino({ level: 'silent' });
const sources = parseSourcesFile(
  'defaults:\n  politeness: { minDelay: 0s }\nsources:\n  - id: cluster-hf\n    adapter: hf-api\n    url: http://127.0.0.1:1/listing\n    schedule: { every: 1h }\n',
  'test.yaml',
);

let cluster: PrivateRedisCluster;
let t: TestDatabase;
let server: FixtureServer;
let config: Config;
const prefix = testQueuePrefix();
const clients: RedisClient[] = [];
const client = () => {
  const redis = createRedis(cluster.url, 'producer');
  clients.push(redis);
  return redis;
};

beforeAll(async () => {
  cluster = await startPrivateRedisCluster();
  t = await createTestDatabase();
  server = await startFixtureServer({
    '/robots.txt': (_req, res) =>
      void res.writeHead(200, { 'content-type': 'text/plain' }).end('User-agent: *\nDisallow: /private\n'),
    '/listing': (_req, res) => void res.writeHead(200, { 'content-type': 'application/json' }).end(listing),
  });
  config = loadConfig({
    DATABASE_URL: t.url,
    REDIS_URL: cluster.url,
    PAPERBOY_QUEUE_PREFIX: prefix,
    PAPERBOY_FETCH_ALLOW_PRIVATE: '1',
    PAPERBOY_BATCH_SIZE: '10',
    PAPERBOY_SECRET: 'cluster-test-secret-Rm4Tq9Wz2Xc7Vb5Nk8',
  });
}, 90_000);

afterAll(async () => {
  for (const redis of clients) redis.disconnect();
  await server?.close();
  await t?.drop();
  await cluster?.close();
});

describe('configuration', () => {
  it("a redis+cluster:// REDIS_URL hash-tags the queue prefix; paperboy's own keys keep the plain one", () => {
    expect(config).toMatchObject({ redisCluster: true, queuePrefix: `{${prefix}}`, keyPrefix: prefix });
    // The single-server path is as it was.
    expect(loadConfig({ PAPERBOY_QUEUE_PREFIX: prefix })).toMatchObject({
      redisCluster: false,
      queuePrefix: prefix,
      keyPrefix: prefix,
    });
  });
});

describe("without the hash tag (the old code's keys and clients)", () => {
  it('BullMQ with a plain prefix fails on a cluster client: its keys are in different slots (CROSSSLOT)', async () => {
    const queues = new Queues(client(), { prefix, fetchAttempts: 1 });
    await expect(queues.add('crawl-source', { source: 'x' })).rejects.toThrow(/CROSSSLOT|same slot/);
    await queues.close();
  });

  it('a single-server client given one node answers MOVED for the slots the other masters serve', async () => {
    const errors: string[] = [];
    for (const url of cluster.nodeUrls) {
      const plain = new Redis(url, { maxRetriesPerRequest: 0 });
      clients.push(plain);
      await plain.set(`{${prefix}}:probe`, '1').then(
        () => errors.push('ok'),
        (error: Error) => errors.push(error.message.split(' ')[0]!),
      );
    }
    // The key's slot lives on exactly one of the three masters.
    expect(errors.sort()).toEqual(['MOVED', 'MOVED', 'ok']);
  });
});

describe('on a 3-master Redis Cluster', () => {
  it('a crawl through the fetcher and processor workers stores every paper exactly once', async () => {
    const ctx: AppContext = createAppContext(config, { logger, name: 'cluster-test', dbPoolSize: 4 });
    addFetcher(ctx, sources);
    addProcessor(ctx);
    ctx.lifecycle.start();
    try {
      const url = `${server.url}/listing`;
      await ctx.queues.add('crawl-page', { source: 'hf-api', url, trigger: 'cli' });
      const deadline = Date.now() + 60_000;
      for (;;) {
        const [crawl, ingest] = await Promise.all([
          ctx.queues.get('crawl').getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'failed', 'completed'),
          ctx.queues.get('ingest').getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'failed', 'completed'),
        ]);
        expect([crawl.failed, ingest.failed]).toEqual([0, 0]);
        if (
          crawl.completed === 1 &&
          ingest.completed === PAPERS / 10 &&
          !ingest.waiting &&
          !ingest.active &&
          !ingest.delayed
        )
          break;
        if (Date.now() > deadline)
          throw new Error(`crawl did not finish: crawl ${JSON.stringify(crawl)}, ingest ${JSON.stringify(ingest)}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const papers = await t.db.selectFrom('papers').select('arxiv_id').execute();
      const expected = (JSON.parse(listing.toString()) as Array<{ paper: { id: string } }>).map((e) => e.paper.id);
      expect(papers.map((p) => p.arxiv_id).sort()).toEqual([...new Set(expected)].sort());
      const sightings = await t.db.selectFrom('sightings').select('paper_id').where('listing', '=', url).execute();
      expect(sightings).toHaveLength(PAPERS);
      expect(new Set(sightings.map((s) => s.paper_id)).size).toBe(PAPERS);
      const crawl = await t.db.selectFrom('crawls').selectAll().executeTakeFirstOrThrow();
      expect(crawl).toMatchObject({ outcome: 'ok', batches: PAPERS / 10 });
      expect(await new CrawlRepository(t.db).crawlTotals(crawl.id)).toMatchObject({
        batches: PAPERS / 10,
        new: PAPERS,
      });
      // The fetcher went through robots.txt and the host limiter on the cluster.
      expect(server.hits.get('/robots.txt')).toBe(1);
    } finally {
      await ctx.lifecycle.shutdown();
    }
  });

  it('host limits hold across two limiter instances (two connections), for hosts spread over the masters', async () => {
    let now = 1_000_000;
    const a = new HostLimiter({ redis: client(), prefix: `${prefix}:polite`, now: () => now });
    const b = new HostLimiter({ redis: client(), prefix: `${prefix}:polite`, now: () => now });

    const first = await a.acquire('busy.example', { concurrency: 2, minDelayMs: 0 });
    const second = await b.acquire('busy.example', { concurrency: 2, minDelayMs: 0 });
    expect([first.ok, second.ok]).toEqual([true, true]);
    expect(await a.acquire('busy.example', { concurrency: 2, minDelayMs: 0 })).toMatchObject({
      ok: false,
      reason: 'busy',
    });
    if (second.ok) await second.release();
    expect(await a.acquire('busy.example', { concurrency: 2, minDelayMs: 0 })).toMatchObject({ ok: true });

    expect(await a.acquire('slow.example', { concurrency: 5, minDelayMs: 1000 })).toMatchObject({ ok: true });
    now += 10;
    expect(await b.acquire('slow.example', { concurrency: 5, minDelayMs: 1000 })).toEqual({
      ok: false,
      reason: 'delay',
      waitMs: 990,
    });
    now += 990;
    expect(await b.acquire('slow.example', { concurrency: 5, minDelayMs: 1000 })).toMatchObject({ ok: true });

    await a.pause('paused.example', 5000);
    expect(await b.pausedFor('paused.example')).toBe(5000);
    expect(await b.acquire('paused.example', { concurrency: 5, minDelayMs: 0 })).toEqual({
      ok: false,
      reason: 'paused',
      waitMs: 5000,
    });

    // Each host's keys share its own slot (its hash tag), so hosts spread over the masters.
    for (let i = 0; i < 30; i++)
      expect(await a.acquire(`host-${i}.example`, { concurrency: 1, minDelayMs: 0 })).toMatchObject({ ok: true });
    const perNode = await Promise.all(
      cluster.nodeUrls.map(async (url) => {
        const node = new Redis(url, { maxRetriesPerRequest: 0 });
        clients.push(node);
        return (await node.keys(`${prefix}:polite:host:*`)).length;
      }),
    );
    expect(perNode.filter((n) => n > 0).length).toBeGreaterThan(1);
  });

  it('the robots cache is shared by two caches on two connections: robots.txt fetched once', async () => {
    const fetch = localFetch;
    const other = await startFixtureServer({
      '/robots.txt': (_req, res) =>
        void res.writeHead(200, { 'content-type': 'text/plain' }).end('User-agent: *\nDisallow: /private\n'),
    });
    try {
      const a = new RobotsCache({ redis: client(), prefix: `${prefix}:polite`, fetch });
      const b = new RobotsCache({ redis: client(), prefix: `${prefix}:polite`, fetch });
      expect((await a.isAllowed(`${other.url}/private/x`)).allowed).toBe(false);
      expect((await b.isAllowed(`${other.url}/public`)).allowed).toBe(true);
      expect((await b.isAllowed(`${other.url}/private/y`)).allowed).toBe(false);
      expect(other.hits.get('/robots.txt')).toBe(1);
    } finally {
      await other.close();
    }
  });

  it("the API's subscribe rate limit counts in the cluster and answers 429", async () => {
    const app = await buildApi({
      db: t.db,
      config,
      logger,
      redis: client(),
      taxonomy: loadTaxonomy(),
      perIpPerMinute: 2,
    });
    try {
      const codes: number[] = [];
      for (let i = 0; i < 4; i++) {
        const reply = await app.inject({
          method: 'POST',
          url: '/api/subscriptions',
          payload: { email: `cluster-${i}@example.org` },
          remoteAddress: '127.0.0.1',
        });
        codes.push(reply.statusCode);
      }
      expect(codes).toEqual([202, 202, 429, 429]);
    } finally {
      await app.close();
    }
  });

  it('schedules are declared, and the keeper finds and re-declares one the cluster lost', async () => {
    const redis = client();
    const queues = new Queues(redis, { prefix: config.queuePrefix, fetchAttempts: 1 });
    const queue = queues.get('crawl');
    try {
      const schedules = sourceSchedules(sources);
      const ids = schedules.map((s) => s.id).sort();
      expect(ids).toContain('source-cluster-hf');
      expect((await queues.declareSchedules(schedules)).sort()).toEqual(ids);
      expect((await queue.getJobSchedulers(0, -1)).map((s) => s.key).sort()).toEqual(ids);

      const keeper = new ScheduleKeeper(schedules, { logger, queues, redis, intervalMs: 3_600_000 });
      expect(await keeper.check()).toEqual([]);
      await queue.removeJobScheduler('source-cluster-hf');
      expect(await keeper.check()).toEqual(['source-cluster-hf']);
      expect((await queue.getJobSchedulers(0, -1)).map((s) => s.key).sort()).toEqual(ids);
      await keeper.close();
    } finally {
      await queues.close();
    }
  });
});
