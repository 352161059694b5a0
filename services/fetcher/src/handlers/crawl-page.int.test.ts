import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type FetchSettings, HostLimiter, RobotsCache } from '@paperboy/http';
import { DelayedError, type Job, Queues, UnrecoverableError } from '@paperboy/queue';
import { parseSourcesFile } from '@paperboy/sources-file';
import { type TestDatabase, testEnvironment } from '@paperboy/test-utils';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openGate, type RobotsGate } from '../politeness.js';
import { createCrawlPageHandler } from './crawl-page.handler.js';

const testEnv = testEnvironment();
const { prefix, redisUrl } = testEnv;
let t: TestDatabase;
let redis: Redis;
/** A port nothing listens on: robots.txt there is unreachable (connection refused). */
let closedPort: number;

const fetch: Omit<FetchSettings, 'accept' | 'conditional'> = {
  userAgent: 'paperboy/0.1 (+https://example.org/paperboy)',
  timeoutMs: 5000,
  maxBytes: 1024 * 1024,
  maxRedirects: 5,
  allowPrivate: true,
};

beforeAll(async () => {
  t = await testEnv.start();
  redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  closedPort = (closed.address() as AddressInfo).port;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
});

afterAll(async () => {
  await testEnv.stop();
  redis?.disconnect();
});

function handler(robots: RobotsGate, settings = fetch) {
  return createCrawlPageHandler({
    db: t.db,
    queues: {} as Queues, // never reached: nothing is fetched
    logger: pino({ level: 'silent' }),
    fetch: settings,
    batchSize: 50,
    sources: parseSourcesFile('defaults:\n  politeness: { minDelay: 0s }\nsources: []\n', 'test.yaml'),
    hosts: openGate,
    robots,
  });
}

let jobs = 0;
/** A crawl-page job of three attempts as BullMQ hands it to the handler, `attemptsMade` of them made. */
function crawlJob(data: object, attemptsMade: number, more: Partial<Job> = {}): Job {
  const job = {
    queueName: 'crawl',
    queueQualifiedName: `${prefix}:crawl`,
    id: String(++jobs),
    timestamp: Date.now(),
    name: 'crawl-page',
    data,
    attemptsMade,
    opts: { attempts: 3 },
    updateData: async () => {},
    ...more,
  };
  return job as unknown as Job;
}

function crawl(run: ReturnType<typeof handler>, url: string, attemptsMade = 0) {
  const payload = { source: 'hf-papers', url, trigger: 'cli' as const };
  return run(payload, crawlJob(payload, attemptsMade));
}

const lastCrawl = () =>
  t.db
    .selectFrom('crawls')
    .select(['url', 'outcome', 'status', 'error'])
    .orderBy('id', 'desc')
    .executeTakeFirstOrThrow();
const lastFetch = () =>
  t.db.selectFrom('page_fetches').select(['url', 'status', 'error']).orderBy('id', 'desc').executeTakeFirstOrThrow();

describe('crawl-page and robots.txt', () => {
  it('retries a page whose robots.txt cannot be reached, saying so, and records a failed fetch', async () => {
    const cache = new RobotsCache({ redis, prefix: `${prefix}:polite`, fetch });
    const asked: Array<boolean | undefined> = [];
    const robots: RobotsGate = {
      isAllowed: (url, options) => (asked.push(options?.recheckUnreachable), cache.isAllowed(url, options)),
    };
    const url = `http://127.0.0.1:${closedPort}/papers`;
    const message = new RegExp(
      `^robots\\.txt of 127\\.0\\.0\\.1:${closedPort} unreachable \\(network error fetching http://127\\.0\\.0\\.1:${closedPort}/robots\\.txt: .*ECONNREFUSED.*\\): not crawling it until it can be read$`,
    );

    const first = await crawl(handler(robots), url).catch((e: Error) => e);
    expect(first).toBeInstanceOf(Error);
    expect(first).not.toBeInstanceOf(UnrecoverableError); // retried with backoff, spending an attempt
    expect((first as Error).message).toMatch(message);
    expect(await lastCrawl()).toMatchObject({
      url,
      outcome: 'retrying',
      status: null,
      error: expect.stringMatching(message),
    });
    expect(await lastFetch()).toMatchObject({ url, status: null, error: expect.stringMatching(message) });

    // The last attempt: failed for good, and it read robots.txt again rather than trust the cache.
    const last = await crawl(handler(robots), url, 2).catch((e: Error) => e);
    expect(last).not.toBeInstanceOf(UnrecoverableError);
    expect((last as Error).message).toMatch(message);
    expect(await lastCrawl()).toMatchObject({ url, outcome: 'failed', error: expect.stringMatching(message) });
    expect(asked).toEqual([false, true]);
  });

  it('fails at once, as a page fetch would, when this process may not fetch robots.txt (a private address)', async () => {
    const strict = { ...fetch, allowPrivate: false };
    const cache = new RobotsCache({ redis, prefix: `${prefix}:polite`, fetch: strict });
    // Refused before any connection is made, so any port will do; not the one the test above cached.
    const url = 'http://127.0.0.1:9/private-policy';
    const error = await crawl(handler(cache, strict), url).catch((e: Error) => e);
    expect(error).toBeInstanceOf(UnrecoverableError);
    expect((error as Error).message).toMatch(
      /^refusing to fetch 127\.0\.0\.1: .*\(set PAPERBOY_FETCH_ALLOW_PRIVATE=1 to allow\)$/,
    );
    expect(await lastCrawl()).toMatchObject({
      url,
      outcome: 'failed',
      error: expect.stringMatching(/^refusing to fetch/),
    });
    // Not cached for the other processes: their policy may differ.
    expect(await redis.exists(`${prefix}:polite:robots:http://127.0.0.1:9`)).toBe(0);
  });
});

describe('crawl-page and failing pages', () => {
  it('records a retryable failure as retrying, and as failed on the last attempt (throttles counted)', async () => {
    const server = createServer((_req, res) => void res.writeHead(500).end('oops'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/broken`;
    const run = handler({ isAllowed: async () => ({ allowed: true }) });
    try {
      const first = await crawl(run, url, 0).catch((e: Error) => e);
      expect(first).not.toBeInstanceOf(UnrecoverableError);
      expect(await lastCrawl()).toMatchObject({ url, outcome: 'retrying', status: 500 });
      // The third of three attempts: BullMQ will not retry it, and the crawl says so.
      const last = await crawl(run, url, 2).catch((e: Error) => e);
      expect(last).toBeInstanceOf(UnrecoverableError);
      expect(await lastCrawl()).toMatchObject({ url, outcome: 'failed', status: 500 });
      // One attempt made and one spent on a throttle: this second real attempt is the last.
      const payload = { source: 'hf-papers', url, trigger: 'cli' as const, throttled: 1 };
      expect(await run(payload, crawlJob(payload, 1)).catch((e: Error) => e)).toBeInstanceOf(UnrecoverableError);
      expect(await lastCrawl()).toMatchObject({ url, outcome: 'failed' });
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe('crawl-page and a robots.txt Crawl-delay', () => {
  it('caps a huge Crawl-delay: the next fetch of the host is scheduled within the cap, and the crawl record says so', async () => {
    const listing = readFileSync(
      new URL(
        '../../../../packages/sources/test/fixtures/hf-api/hf-api-daily_papers-3items-2026-05-11.json',
        import.meta.url,
      ),
    );
    const server = createServer((req, res) => {
      if (req.url === '/robots.txt')
        return void res.writeHead(200, { 'content-type': 'text/plain' }).end('User-agent: *\nCrawl-delay: 86400\n');
      return void res.writeHead(200, { 'content-type': 'application/json' }).end(listing);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    const queues = new Queues(redis, { prefix, fetchAttempts: 3 });
    const lines: Array<Record<string, unknown>> = [];
    const logger = pino(
      { level: 'info' },
      { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
    );
    // Redis time frozen for the limiter, so the wait it grants is exactly the delay it enforces.
    const frozen = Date.now();
    const run = createCrawlPageHandler({
      db: t.db,
      queues,
      logger,
      fetch,
      batchSize: 50,
      sources: parseSourcesFile('defaults:\n  politeness: { minDelay: 0s }\nsources: []\n', 'test.yaml'),
      hosts: new HostLimiter({ redis, prefix: `${prefix}:polite`, now: () => frozen }),
      robots: new RobotsCache({ redis, prefix: `${prefix}:polite`, fetch }),
      maxCrawlDelayMs: 60_000,
    });
    const crawlOf = (path: string) => {
      const payload = { source: 'hf-api', url: `http://${host}${path}`, trigger: 'cli' as const };
      const delayedTo: number[] = [];
      const job = crawlJob(payload, 0, {
        moveToDelayed: async (timestamp: number) => void delayedTo.push(timestamp),
      });
      return { delayedTo, result: run(payload, job) };
    };
    try {
      const first = crawlOf('/api/daily_papers');
      const result = await first.result;
      const capped = `robots.txt of ${host} asks for Crawl-delay: 86400 s; waiting 60 s (PAPERBOY_MAX_CRAWL_DELAY_SECONDS) instead`;
      expect(result).toMatchObject({ outcome: 'ok', entries: 3 });
      expect(result.warnings).toContain(capped);
      const record = await t.db
        .selectFrom('crawls')
        .select(['outcome', 'warnings', 'suspect'])
        .where('id', '=', result.crawlId!)
        .executeTakeFirstOrThrow();
      // Recorded on the crawl, but the page itself is fine: not a reason to suspect the crawl.
      expect(record).toEqual({ outcome: 'ok', warnings: [capped], suspect: false });
      expect(lines.filter((l) => l.msg === 'robots.txt Crawl-delay capped')).toEqual([
        expect.objectContaining({ level: 40, host, declaredDelaySeconds: 86400, capSeconds: 60 }),
      ]);

      // The next page of the host waits for the capped delay, not for a day.
      const before = Date.now();
      const second = crawlOf('/api/daily_papers?page=2');
      expect(await second.result.catch((e: Error) => e)).toBeInstanceOf(DelayedError);
      const after = Date.now();
      expect(second.delayedTo).toHaveLength(1);
      expect(second.delayedTo[0]).toBeGreaterThanOrEqual(before + 60_000);
      expect(second.delayedTo[0]).toBeLessThanOrEqual(after + 60_000);
    } finally {
      await queues.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
