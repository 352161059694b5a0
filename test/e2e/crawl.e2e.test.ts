import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { createRedis, Queues } from '@paperboy/queue';
import { type TestDatabase, testEnvironment } from '@paperboy/test-utils';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadHfCapture, renderHfPapersPage } from '../../packages/sources/test/fixture-kit/index.js';
import { exited, lastJson, runCli, spawnService, until } from './helpers.js';

/**
 * A "living" site: pages change between crawls and misbehave on demand. Two fetcher processes
 * and a processor crawl it through the real queues; the test asserts on Postgres and on health.
 */
let today = new Date().toISOString().slice(0, 10); // the UTC day {date} names: set again when the test starts
const capture = loadHfCapture('hf-api-daily_papers-limit30-2026-06-13.json');
let round = 1;
const inFlight = { now: 0, max: 0 };
const starts: number[] = [];
const hits = new Map<string, number>();

function dailyPage(): string {
  // Round 1: twelve papers. Round 2: six of them re-ranked with more upvotes, and six new ones.
  const entries =
    round === 1
      ? capture.slice(0, 12)
      : [...capture.slice(12, 18), ...capture.slice(0, 6).reverse()].map((e) => ({
          ...e,
          paper: { ...e.paper, upvotes: e.paper.upvotes + 10 },
        }));
  return renderHfPapersPage({
    documentTitle: 'Daily Papers',
    heading: 'Daily Papers',
    entries,
    props: { date: today },
  });
}

function sendPage(req: IncomingMessage, res: ServerResponse, body: string) {
  const etag = `"${createHash('sha1').update(body).digest('hex')}"`;
  if (req.headers['if-none-match'] === etag) return void res.writeHead(304, { etag }).end();
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', etag }).end(body);
}

/** The daily page, at the URL {date} gives for `today`. */
const daily = (req: IncomingMessage, res: ServerResponse) => sendPage(req, res, dailyPage());
const routes: Record<string, (req: IncomingMessage, res: ServerResponse, n: number) => void> = {
  '/robots.txt': (_q, res) =>
    void res.writeHead(200, { 'content-type': 'text/plain' }).end('User-agent: *\nDisallow: /private/\n'),
  '/layout': (req, res) =>
    sendPage(
      req,
      res,
      round === 1
        ? renderHfPapersPage({ documentTitle: 'x', heading: 'x', entries: capture.slice(0, 10) })
        : '<html><body><main>New design!</main></body></html>',
    ),
  '/flaky': (req, res, n) =>
    n === 1
      ? void res.writeHead(500).end('oops')
      : sendPage(req, res, renderHfPapersPage({ documentTitle: 'f', heading: 'f', entries: capture.slice(20, 22) })),
  '/throttled': (req, res, n) =>
    n === 1
      ? void res.writeHead(429, { 'retry-after': '1' }).end()
      : sendPage(req, res, renderHfPapersPage({ documentTitle: 't', heading: 't', entries: capture.slice(22, 24) })),
  '/huge': (_q, res) =>
    void res.writeHead(200, { 'content-type': 'text/html' }).end(Buffer.alloc(3 * 1024 * 1024, 'a')),
  '/bomb': (_q, res) =>
    void res
      .writeHead(200, { 'content-type': 'text/html', 'content-encoding': 'gzip' })
      .end(gzipSync(Buffer.alloc(50 * 1024 * 1024))),
  '/private/secret': (_q, res) => void res.writeHead(200).end('should never be fetched'),
};

let server: Server;
let base: string;
let t: TestDatabase;
let env: Record<string, string>;
const testEnv = testEnvironment();
const { prefix, redisUrl } = testEnv;
const redis = createRedis(redisUrl, 'producer');
let queues: Queues;
const services: Array<ReturnType<typeof spawnService>> = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const n = (hits.get(path) ?? 0) + 1;
    hits.set(path, n);
    const route = path === `/papers/date/${today}` ? daily : routes[path];
    if (!route) return void res.writeHead(404).end();
    if (path !== '/robots.txt') {
      inFlight.now++;
      inFlight.max = Math.max(inFlight.max, inFlight.now);
      starts.push(Date.now());
      let open = true;
      const done = () => {
        if (open) inFlight.now--;
        open = false;
      };
      res.on('finish', done); // the last byte is handed over (before the client can release its slot)
      res.on('close', done); // or the client hung up (a body over its limit)
    }
    // A little latency, so that requests a broken limiter let through would overlap.
    setTimeout(() => route(req, res, n), 60);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const dir = mkdtempSync(join(tmpdir(), 'paperboy-living-'));
  const source = (id: string, path: string) =>
    `  - { id: ${id}, adapter: hf-papers, url: "${base}${path}", schedule: { every: 1h } }`;
  writeFileSync(
    join(dir, 'sources.yaml'),
    [
      'hosts:',
      `  "127.0.0.1:${new URL(base).port}": { concurrency: 1, minDelay: 250ms }`,
      'sources:',
      source('living', '/papers/date/{date}'),
      source('layout', '/layout'),
      source('flaky', '/flaky'),
      source('throttled', '/throttled'),
      source('huge', '/huge'),
      source('bomb', '/bomb'),
      source('private', '/private/secret'),
    ].join('\n'),
  );
  t = await testEnv.start();
  env = {
    ...testEnv.processEnv(),
    PAPERBOY_SOURCES: join(dir, 'sources.yaml'),
    PAPERBOY_FETCH_ALLOW_PRIVATE: '1',
    PAPERBOY_FETCH_MAX_BYTES: String(2 * 1024 * 1024),
    PAPERBOY_FETCH_ATTEMPTS: '3',
    PAPERBOY_FETCH_CONCURRENCY: '4',
    LOG_LEVEL: 'info',
    // The test starts every crawl itself: no scheduled crawls (an `every` schedule runs at once).
    PAPERBOY_SCHEDULES: '0',
  };
  queues = new Queues(redis, { prefix, fetchAttempts: 3 });
  services.push(spawnService('services/fetcher/src/main.ts', env), spawnService('services/fetcher/src/main.ts', env));
  services.push(spawnService('services/processor/src/main.ts', env));
  await until(
    async () => services.every((s) => /(fetcher|processor) started/.test(s.output())),
    30_000,
    'services to start',
  );
}, 60_000);

afterAll(async () => {
  for (const s of services) s.kill('SIGTERM');
  await Promise.all(services.map(exited));
  await queues?.close();
  redis.disconnect();
  server?.closeAllConnections();
  server?.close();
  await testEnv.stop();
});

const crawlAll = async (ids: string[]) => {
  for (const id of ids) await queues.add('crawl-source', { source: id });
};
const finished = async (source: string, count: number) => {
  const { rows } = await sql<{ n: number }>`
    SELECT count(*)::int AS n FROM crawls WHERE source = ${source} AND outcome NOT IN ('running', 'retrying')`.execute(
    t.db,
  );
  return rows[0]!.n >= count;
};
const crawlsOf = async (source: string) =>
  t.db
    .selectFrom('crawls')
    .select(['outcome', 'status', 'entries', 'suspect', 'suspect_reason', 'error'])
    .where('source', '=', source)
    .orderBy('id')
    .execute();
const count = async (query: ReturnType<typeof sql<{ n: number }>>) => (await query.execute(t.db)).rows[0]!.n;
const untilPapers = (n: number) =>
  until(
    async () => (await count(sql<{ n: number }>`SELECT count(*)::int AS n FROM papers`)) === n,
    30_000,
    `${n} papers`,
  );

const DAY = 86_400_000;
// Rounds 1 to 3 below wait for at most this long in all (their until()s), and a little more.
const ROUNDS_MS = 200_000;

describe('crawling a living site', () => {
  it(
    'crawls politely across two fetcher processes and survives every misbehaviour',
    async () => {
      // The living source's URL names the UTC day of each crawl ({date}), and the rounds compare its
      // page from crawl to crawl (round 3 expects a 304 for round 2's URL): a run across UTC midnight
      // would rightly ask for the new day's page, never fetched. So they run on one UTC day: a start
      // closer to midnight than the rounds can take waits for it to pass.
      const toMidnight = DAY - (Date.now() % DAY);
      if (toMidnight < ROUNDS_MS) await new Promise((resolve) => setTimeout(resolve, toMidnight + 1000));
      today = new Date().toISOString().slice(0, 10);
      await crawlAll(['living', 'layout', 'flaky', 'throttled', 'huge', 'bomb', 'private']);
      await until(
        async () =>
          (
            await Promise.all(
              ['living', 'layout', 'flaky', 'throttled', 'huge', 'bomb', 'private'].map((s) => finished(s, 1)),
            )
          ).every(Boolean),
        60_000,
        'the first round of crawls',
      );
      await untilPapers(16);

      // Per-host limits held across both processes: one request at a time, 250 ms apart.
      expect(inFlight.max).toBe(1);
      const gaps = starts.slice(1).map((s, i) => s - starts[i]!);
      expect(Math.min(...gaps)).toBeGreaterThanOrEqual(200);

      expect(await crawlsOf('flaky')).toEqual([expect.objectContaining({ outcome: 'ok', status: 200, entries: 2 })]);
      expect(hits.get('/flaky')).toBe(2);
      expect(await crawlsOf('throttled')).toEqual([
        expect.objectContaining({ outcome: 'ok', status: 200, entries: 2 }),
      ]);
      expect(hits.get('/throttled')).toBe(2);
      expect((await crawlsOf('huge'))[0]).toMatchObject({
        outcome: 'failed',
        error: expect.stringMatching(/exceeds the limit/),
      });
      expect((await crawlsOf('bomb'))[0]).toMatchObject({
        outcome: 'failed',
        error: expect.stringMatching(/exceeds the limit/),
      });
      expect((await crawlsOf('private'))[0]).toMatchObject({
        outcome: 'disallowed',
        error: expect.stringMatching(/robots\.txt/),
      });
      expect(hits.get('/private/secret')).toBeUndefined();
      // Cached in Redis and shared: at most one fetch per process that asked before the first answer was stored.
      expect(hits.get('/robots.txt')).toBeLessThanOrEqual(2);

      // Every fetched body is archived once per content hash.
      const archived = await count(sql<{ n: number }>`SELECT count(*)::int AS n FROM page_bodies`);
      const distinct = await count(
        sql<{ n: number }>`SELECT count(DISTINCT content_hash)::int AS n FROM page_fetches WHERE error IS NULL`,
      );
      expect(archived).toBe(distinct);

      // Round 2: the daily page changed (new papers, re-ranking, upvotes); the layout page lost its listing.
      round = 2;
      await crawlAll(['living', 'layout']);
      await until(
        async () => (await finished('living', 2)) && (await finished('layout', 2)),
        30_000,
        'the second round',
      );
      await untilPapers(22);
      const history = await sql<{ ranks: number[]; upvotes: number[] }>`
      SELECT array_agg(s.rank ORDER BY s.seen_at) AS ranks, array_agg(s.upvotes ORDER BY s.seen_at) AS upvotes
      FROM sightings s JOIN papers p ON p.id = s.paper_id WHERE p.arxiv_id = ${capture[0]!.paper.id} AND s.source = 'living'`.execute(
        t.db,
      );
      expect(history.rows[0]).toEqual({
        ranks: [1, 12],
        upvotes: [capture[0]!.paper.upvotes, capture[0]!.paper.upvotes + 10],
      });
      const layout = await crawlsOf('layout');
      expect(layout[1]).toMatchObject({ suspect: true, entries: 0 });

      // Round 3: nothing changed: the daily page answers 304 and nothing is enqueued.
      const batchesBefore = await count(sql<{ n: number }>`SELECT count(*)::int AS n FROM crawl_batches`);
      await crawlAll(['living']);
      await until(async () => finished('living', 3), 30_000, 'the third round');
      expect((await crawlsOf('living'))[2]).toMatchObject({ outcome: 'not-modified', status: 304 });
      expect(await count(sql<{ n: number }>`SELECT count(*)::int AS n FROM crawl_batches`)).toBe(batchesBefore);

      // Source health as an operator sees it.
      const report = await runCli(['sources', '--json'], env);
      expect(report.code, report.stderr).toBe(0);
      const health = Object.fromEntries(
        report.stdout
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l))
          .map((r) => [r.id, r]),
      );
      expect(health.living).toMatchObject({ health: 'unchanged', lastStatus: 304 });
      expect(health.layout).toMatchObject({ health: 'suspect', reason: expect.stringMatching(/no entries|listing/) });
      expect(health.huge).toMatchObject({ health: 'failing' });
      expect(health.flaky).toMatchObject({ health: 'ok', lastEntries: 2 });
      // Every paper is new exactly once, whichever source showed it first.
      expect(Object.values(health as Record<string, { new24h: number }>).reduce((n, r) => n + r.new24h, 0)).toBe(22);

      // Replay runs the archive through the pipeline again and changes nothing.
      const sightings = await count(sql<{ n: number }>`SELECT count(*)::int AS n FROM sightings`);
      const replayed = await runCli(['replay'], env, 60_000);
      expect(replayed.code, replayed.stderr).toBe(0);
      expect(lastJson(replayed.stdout)).toMatchObject({ new: 0, failed: 0 });
      expect(await count(sql<{ n: number }>`SELECT count(*)::int AS n FROM sightings`)).toBe(sightings);
      expect(await count(sql<{ n: number }>`SELECT count(*)::int AS n FROM papers`)).toBe(22);
    },
    180_000 + ROUNDS_MS,
  );
});
