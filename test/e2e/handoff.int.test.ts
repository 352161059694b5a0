import type { IncomingMessage, ServerResponse } from 'node:http';
import { CrawlRepository, closeInterruptedCrawls } from '@paperboy/db';
import { allowAll, createCrawlPageHandler, openGate, reconcileStrandedBatches } from '@paperboy/fetcher';
import { loadTaxonomy } from '@paperboy/pipeline';
import { createProcessorWorkers } from '@paperboy/processor';
import { type CrawlPagePayload, createRedis, type Job, Queues, type RedisClient } from '@paperboy/queue';
import { parseSourcesFile } from '@paperboy/sources-file';
import {
  createTestDatabase,
  type FixtureServer,
  type PrivateRedis,
  startFixtureServer,
  startPrivateRedis,
  type TestDatabase,
  testQueuePrefix,
} from '@paperboy/test-utils';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hfApiListing, lastJson, localFetch, root, runCli } from './helpers.js';

// The Postgres→Redis hand-off under faults (issue 10): a private redis-server that the tests kill
// and flush, never the shared one.
const listing = hfApiListing();
const PAPERS = 30;
const BATCH = 10;
const logger = pino({ level: 'silent' });
const fetch = localFetch;
const sources = parseSourcesFile('defaults:\n  politeness: { minDelay: 0s }\nsources: []\n', 'test.yaml');

let t: TestDatabase;
let redis: PrivateRedis;
let server: FixtureServer;
let producer: RedisClient;
let queues: Queues;
const prefix = testQueuePrefix();

/** The listing with an ETag, answering a matching If-None-Match with 304, as the real site does. */
const withEtag = (req: IncomingMessage, res: ServerResponse) => {
  if (req.headers['if-none-match'] === '"v1"') return void res.writeHead(304, { etag: '"v1"' }).end();
  res.writeHead(200, { 'content-type': 'application/json', etag: '"v1"' }).end(listing);
};

beforeAll(async () => {
  t = await createTestDatabase();
  redis = await startPrivateRedis();
  server = await startFixtureServer({
    '/a': withEtag,
    '/b': withEtag,
    '/c': withEtag,
    '/d': withEtag,
    '/e': withEtag,
    '/f': withEtag,
  });
  producer = createRedis(redis.url, 'producer');
  queues = new Queues(producer, { prefix, fetchAttempts: 3 });
  // Connected before the faults, as a running fetcher's queues are.
  await queues.get('ingest').waitUntilReady();
});

afterAll(async () => {
  await queues?.close();
  producer?.disconnect();
  await server?.close();
  await redis?.close();
  await t?.drop();
});

const crawlPage = () =>
  createCrawlPageHandler({
    db: t.db,
    queues,
    logger,
    fetch,
    batchSize: BATCH,
    sources,
    hosts: openGate,
    robots: allowAll,
  });

let ids = 0;
/** Creation times (ms) as BullMQ stores them: each job its own. */
let created = Date.now();
/** A crawl-page job as BullMQ hands it to the handler: its data as stored (updateData included), its attempts so far. */
function fakeJob(url: string, id = String(++ids)) {
  const job = {
    queueName: 'crawl',
    queueQualifiedName: `${prefix}:crawl`,
    id,
    timestamp: ++created,
    name: 'crawl-page',
    attemptsMade: 0,
    opts: { attempts: 3 },
    data: { source: 'hf-api', url, trigger: 'cli' } as CrawlPagePayload,
    updateData: async (data: CrawlPagePayload) => {
      job.data = data;
    },
  };
  return job;
}
const attempt = (job: ReturnType<typeof fakeJob>) => crawlPage()({ ...job.data }, job as unknown as Job);

/** Runs the processor on the private Redis until every ingest job is done (polled, generous deadline). */
async function processAll(): Promise<void> {
  const workers = createProcessorWorkers({
    db: t.db,
    logger,
    connection: createRedis(redis.url, 'worker'),
    prefix,
    concurrency: 2,
    taxonomy: loadTaxonomy(),
    nearDuplicateThreshold: 0.75,
  });
  for (const w of workers) void w.run();
  try {
    const ingest = queues.get('ingest');
    const deadline = Date.now() + 60_000;
    for (;;) {
      const c = await ingest.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'failed');
      expect(c.failed).toBe(0);
      if (!c.waiting && !c.active && !c.delayed && !c.prioritized) break;
      if (Date.now() > deadline) throw new Error(`ingest queue did not drain: ${JSON.stringify(c)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    await Promise.all(workers.map((w) => w.close()));
    await Promise.all(workers.map((w) => w.disconnect()));
  }
}

const count = async (table: 'papers' | 'sightings', listingUrl?: string) => {
  let q = t.db.selectFrom(table).select((eb) => eb.fn.countAll<string>().as('n'));
  if (listingUrl && table === 'sightings') q = q.where('listing', '=', listingUrl);
  return Number((await q.executeTakeFirstOrThrow()).n);
};

describe('the Postgres→Redis hand-off', () => {
  it('a page whose batches could not be enqueued (Redis killed) is fetched and enqueued again by the retry: every paper stored once', async () => {
    const url = `${server.url}/a`;
    const job = fakeJob(url);
    await redis.kill();
    // The fetch is recorded, then the enqueue fails: the job fails, to be retried.
    await expect(attempt(job)).rejects.toThrow();
    await redis.start();
    job.attemptsMade = 1;
    const retried = await attempt(job);
    // Before: the retry's conditional GET got 304 (the failed attempt's ETag) and enqueued nothing.
    expect(retried).toMatchObject({ outcome: 'ok', entries: PAPERS });
    expect(retried.ingestJobIds).toHaveLength(PAPERS / BATCH);
    await processAll();
    expect(await count('papers')).toBe(PAPERS);
    expect(await count('sightings', url)).toBe(PAPERS);
    const crawl = await t.db
      .selectFrom('crawls')
      .selectAll()
      .where('id', '=', retried.crawlId!)
      .executeTakeFirstOrThrow();
    expect(crawl).toMatchObject({ outcome: 'ok', batches: PAPERS / BATCH });
    expect(await new CrawlRepository(t.db).crawlTotals(retried.crawlId!)).toMatchObject({
      batches: PAPERS / BATCH,
      new: PAPERS,
    });

    // Now the page counts as seen: the next crawl is a 304 with nothing to do.
    expect(await attempt(fakeJob(url))).toMatchObject({ outcome: 'not-modified', ingestJobIds: [] });
  });

  it('batches enqueued and then lost with Redis (FLUSHALL) are visible, and the reconciler re-enqueues them from the archive', async () => {
    const url = `${server.url}/b`;
    const first = await attempt(fakeJob(url));
    expect(first.ingestJobIds).toHaveLength(PAPERS / BATCH);
    await redis.flushAll(); // the batches never reach a processor
    const crawls = new CrawlRepository(t.db);
    const stranded = (await crawls.sourceHealth({ unstoredGraceMs: 0 })).find((r) => r.source === 'hf-api');
    expect(stranded?.unstoredBatches).toBe(PAPERS / BATCH);
    // A crawl of the same page meanwhile finds it unchanged (304) and cannot know: the reconciler does.
    expect(await attempt(fakeJob(url))).toMatchObject({ outcome: 'not-modified' });

    const repaired = await reconcileStrandedBatches({ db: t.db, queues, logger, sources }, { graceMs: 0 });
    expect(repaired).toMatchObject({ pages: 1, reenqueued: PAPERS / BATCH });
    // Run again before the processor: the jobs are in the queue now, nothing is added twice.
    expect(await reconcileStrandedBatches({ db: t.db, queues, logger, sources }, { graceMs: 0 })).toMatchObject({
      reenqueued: 0,
    });
    await processAll();
    expect(await count('sightings', url)).toBe(PAPERS);
    expect(await crawls.crawlTotals(first.crawlId!)).toMatchObject({ batches: PAPERS / BATCH });
    expect(
      (await crawls.sourceHealth({ unstoredGraceMs: 0 })).find((r) => r.source === 'hf-api')?.unstoredBatches,
    ).toBe(0);
    expect(await reconcileStrandedBatches({ db: t.db, queues, logger, sources }, { graceMs: 0 })).toMatchObject({
      pages: 0,
      reenqueued: 0,
    });
  });

  it('a crawl after Redis was emptied gets a new identity, even with the same BullMQ job id, and the old crawl row is left as it was', async () => {
    const before = await attempt(fakeJob(`${server.url}/c`, 'same-id'));
    const old = await t.db.selectFrom('crawls').selectAll().where('id', '=', before.crawlId!).executeTakeFirstOrThrow();
    await redis.flushAll(); // BullMQ's job ids start again at 1
    const after = await attempt(fakeJob(`${server.url}/a`, 'same-id'));
    expect(after.crawlId).not.toBe(before.crawlId);
    expect(
      await t.db.selectFrom('crawls').selectAll().where('id', '=', before.crawlId!).executeTakeFirstOrThrow(),
    ).toEqual(old);
    expect(
      await t.db.selectFrom('crawls').select('url').where('id', '=', after.crawlId!).executeTakeFirstOrThrow(),
    ).toEqual({ url: `${server.url}/a` });
  });

  it('`paperboy ingest` of a page whose earlier batches were lost does not report an empty success: it stores them', async () => {
    const url = `${server.url}/d`;
    await attempt(fakeJob(url));
    await redis.flushAll(); // enqueued, never stored
    const env = {
      DATABASE_URL: t.url,
      REDIS_URL: redis.url,
      PAPERBOY_QUEUE_PREFIX: prefix,
      PAPERBOY_ENRICH: 'none',
      PAPERBOY_SOURCES: `${root}test/fixtures/sources.test.yaml`,
      PAPERBOY_FETCH_ALLOW_PRIVATE: '1',
      LOG_LEVEL: 'warn',
    };
    const run = await runCli(['ingest', '--source', 'hf-api', '--url', url], env, 120_000);
    expect(run.code, run.stderr).toBe(0);
    const summary = lastJson<{ unchangedPages: number; errors: unknown[]; warnings: string[] }>(run.stdout);
    // Before: "unchanged", exit 0, and the page's papers were never sighted.
    expect(summary).toMatchObject({ unchangedPages: 1, errors: [] });
    expect(summary.warnings).toContain(
      `${url}: ${PAPERS / BATCH} batch(es) of an earlier crawl were enqueued but never stored: re-enqueued from the archive`,
    );
    expect(await count('sightings', url)).toBe(PAPERS);
    expect(await count('papers')).toBe(PAPERS);
  });
});

describe("a crawl's identity: the job's own key (queue, id, creation time), never written onto the job", () => {
  /** A crawl-page job really stored in Redis, read back as a worker gets it. */
  async function storedJob(on: Queues, url: string) {
    const added = await on.add('crawl-page', { source: 'hf-api', url, trigger: 'cli' });
    return (await on.getJob('crawl-page', added.id!))!;
  }
  const rowsOf = (url: string) =>
    t.db.selectFrom('crawls').select(['id', 'outcome', 'job_instance']).where('url', '=', url).orderBy('id').execute();

  it('a worker killed after begin: the retry resumes the same row (closed meanwhile as interrupted), and the job carries no crawl id', async () => {
    const url = `${server.url}/e`;
    const job = await storedJob(queues, url);
    // The first attempt begins its crawl, then its process dies while robots.txt is read: nothing more is recorded.
    const killed = createCrawlPageHandler({
      db: t.db,
      queues,
      logger,
      fetch,
      batchSize: BATCH,
      sources,
      hosts: openGate,
      robots: { isAllowed: () => new Promise(() => {}) },
    });
    void killed({ ...job.data }, job as unknown as Job);
    await expect.poll(() => rowsOf(url)).toHaveLength(1);
    const [begun] = await rowsOf(url);
    expect(begun!.outcome).toBe('running');
    // The reconciler closes it as interrupted; the job's data in Redis is as it was added (no id written).
    expect(await closeInterruptedCrawls(t.db, 0)).toBeGreaterThanOrEqual(1);
    expect((await rowsOf(url))[0]!.outcome).toBe('failed');
    const retry = (await queues.getJob('crawl-page', job.id!))!;
    expect(retry.data).toEqual({ source: 'hf-api', url, trigger: 'cli' });
    expect(retry.timestamp).toBe(job.timestamp);

    const result = await crawlPage()({ ...retry.data }, retry as unknown as Job);
    expect(result).toMatchObject({ crawlId: begun!.id, outcome: 'ok', entries: PAPERS });
    expect(await rowsOf(url)).toEqual([
      { id: begun!.id, outcome: 'ok', job_instance: `${prefix}:crawl:${job.id}:${job.timestamp}` },
    ]);
    expect((await queues.getJob('crawl-page', job.id!))!.data).toEqual({ source: 'hf-api', url, trigger: 'cli' });
  });

  it('Redis emptied between two crawls of one page: the same BullMQ job id, two distinct rows, the first left as it was', async () => {
    const url = `${server.url}/f`;
    const own = new Queues(producer, { prefix: `${prefix}-ids`, fetchAttempts: 3 });
    try {
      const first = await storedJob(own, url);
      const before = await crawlPage()({ ...first.data }, first as unknown as Job);
      const old = await t.db
        .selectFrom('crawls')
        .selectAll()
        .where('id', '=', before.crawlId!)
        .executeTakeFirstOrThrow();
      await redis.flushAll(); // BullMQ's job ids start again
      const second = await storedJob(own, url);
      expect(second.id).toBe(first.id);
      const after = await crawlPage()({ ...second.data }, second as unknown as Job);
      expect(after.crawlId).not.toBe(before.crawlId);
      expect(
        await t.db.selectFrom('crawls').selectAll().where('id', '=', before.crawlId!).executeTakeFirstOrThrow(),
      ).toEqual(old);
      expect((await rowsOf(url)).map((r) => r.id)).toEqual([before.crawlId, after.crawlId]);
    } finally {
      await own.close();
    }
  });

  it('a job enqueued before the key existed, carrying its crawl id, resumes that row', async () => {
    const url = `${server.url}/e`;
    const [row] = await rowsOf(url);
    const job = fakeJob(url);
    job.data = { ...job.data, crawlId: row!.id };
    job.attemptsMade = 1;
    expect((await attempt(job)).crawlId).toBe(row!.id);
    expect(await rowsOf(url)).toHaveLength(1);
  });

  it('a key met again for another URL (never expected) does not take that crawl: the page gets a row of its own', async () => {
    const crawls = new CrawlRepository(t.db);
    const key = { source: 'hf-api', trigger: 'cli', jobKey: 'k', jobInstance: `${prefix}:crawl:repeated:1` };
    const a = await crawls.beginCrawl({ ...key, url: `${server.url}/x1` });
    const again = await crawls.beginCrawl({ ...key, url: `${server.url}/x1` });
    const b = await crawls.beginCrawl({ ...key, url: `${server.url}/x2` });
    expect(a.resumed).toBe(false);
    expect(again).toMatchObject({ id: a.id, resumed: true });
    expect(b.id).not.toBe(a.id);
    expect(b.resumed).toBe(false);
    expect(await rowsOf(`${server.url}/x2`)).toEqual([{ id: b.id, outcome: 'running', job_instance: null }]);
    expect(await rowsOf(`${server.url}/x1`)).toEqual([{ id: a.id, outcome: 'running', job_instance: key.jobInstance }]);
  });
});
