import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRedis, Queues } from '@paperboy/queue';
import { type FixtureServer, send, startFixtureServer, type TestDatabase, testEnvironment } from '@paperboy/test-utils';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exited, hfApiListing, spawnService, until } from './helpers.js';

// The host pause after 429/503 with Retry-After, end to end through a fetcher process: the pause
// is stored for the host in Redis (shared by every fetcher), the throttled page is put back for no
// earlier than its end, and the host's other pages wait for it too, without a request. Asserted
// on what is stored (the pause's end, the delayed jobs' scheduled times, the server's request
// log), never on how long something took.

const RETRY_AFTER_S = 120; // long: the first test never waits for it to pass
const SHORT_RETRY_AFTER_S = 2;

let t: TestDatabase;
let server: FixtureServer;
const testEnv = testEnvironment();
const { prefix, redisUrl } = testEnv;
const redis = createRedis(redisUrl, 'producer');
const queues = new Queues(redis, { prefix, fetchAttempts: 3 });
const dir = mkdtempSync(join(tmpdir(), 'paperboy-host-pause-'));
const json = hfApiListing();
/** Every request to the fixture host: path and when it arrived (ms since the epoch). */
const requests: Array<{ path: string; at: number }> = [];
/** When each throttling answer was sent. */
const throttledAt = new Map<string, number>();
let fetcher: ReturnType<typeof spawnService> | undefined;

const throttleOnce = (status: 429 | 503, seconds: number) => {
  let answered = false;
  return (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => {
    requests.push({ path: req.url!, at: Date.now() });
    if (answered) return send(json, 'application/json')(req, res);
    answered = true;
    throttledAt.set(req.url!, Date.now());
    res.writeHead(status, { 'retry-after': String(seconds), 'content-type': 'text/plain' }).end('slow down');
  };
};
const ok = (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => {
  requests.push({ path: req.url!, at: Date.now() });
  send(json, 'application/json')(req, res);
};

beforeAll(async () => {
  t = await testEnv.start();
  server = await startFixtureServer({
    '/a-429': throttleOnce(429, RETRY_AFTER_S),
    '/b-429': ok,
    '/a-503': throttleOnce(503, SHORT_RETRY_AFTER_S),
    '/b-503': ok,
  });
  writeFileSync(
    join(dir, 'sources.yaml'),
    `defaults:\n  politeness: { concurrency: 4, minDelay: 0s, robots: false }\nsources:\n` +
      ['a-429', 'b-429', 'a-503', 'b-503']
        .map((id) => `  - { id: ${id}, adapter: hf-api, url: "${server.url}/${id}", schedule: { every: 6h } }\n`)
        .join(''),
  );
  fetcher = spawnService('services/fetcher/src/main.ts', {
    ...testEnv.processEnv(),
    PAPERBOY_SOURCES: join(dir, 'sources.yaml'),
    PAPERBOY_FETCH_ALLOW_PRIVATE: '1',
    PAPERBOY_FETCH_ATTEMPTS: '3',
    PAPERBOY_SCHEDULES: '0', // this test queues its pages itself
    LOG_LEVEL: 'info',
  });
  await until(async () => fetcher!.output().includes('fetcher started'), 30_000, 'the fetcher to start');
});

afterAll(async () => {
  if (fetcher && fetcher.exitCode === null) {
    fetcher.kill('SIGTERM');
    await exited(fetcher);
  }
  await queues.close();
  redis.disconnect();
  await server?.close();
  await testEnv.stop();
});

const host = () => new URL(server.url).host;
/** The host's pause, as the host limiter stores it: its end in ms since the epoch (Redis's clock), or null. */
const pausedUntil = async () => {
  const value = await redis.get(`${prefix}:polite:host:{${host()}}:pause`);
  return value === null ? null : Number(value);
};
/** When a delayed job is due (BullMQ keeps it in the delayed set scored by timestamp · 4096 + a counter). */
const dueAt = async (jobId: string) => {
  const score = await redis.zscore(`${prefix}:crawl:delayed`, jobId);
  return score === null ? null : Math.floor(Number(score) / 4096);
};
const crawl = (source: string) => queues.add('crawl-page', { source, url: `${server.url}/${source}`, trigger: 'cli' });
const hitsOf = (path: string) => requests.filter((r) => r.path === path);

describe('the host pause after 429 / 503 with Retry-After', () => {
  it('429, Retry-After 120: the pause is stored for the host, the page is due no earlier than its end, and another page of the host waits without a request', async () => {
    const a = await crawl('a-429');
    await until(async () => (await a.getState()) === 'delayed', 30_000, 'the throttled page to be put back');
    const served = throttledAt.get('/a-429')!;
    const until429 = await pausedUntil();
    expect(until429).not.toBeNull();
    // The stored end is the Retry-After counted from (no earlier than) the answer.
    expect(until429!).toBeGreaterThanOrEqual(served + RETRY_AFTER_S * 1000 - 5);
    expect(await dueAt(a.id!)).toBeGreaterThanOrEqual(until429! - 5);

    // Another page of the same host, queued during the pause: taken, put back for the pause's
    // end, and never requested.
    const b = await crawl('b-429');
    await until(async () => (await b.getState()) === 'delayed', 30_000, 'the other page to be put back');
    expect(await dueAt(b.id!)).toBeGreaterThanOrEqual(until429! - 5);
    expect(await pausedUntil()).toBe(until429); // not extended or shortened by it
    expect(hitsOf('/b-429')).toEqual([]);
    expect(hitsOf('/a-429')).toHaveLength(1);
    // Not counted as a failed attempt: the throttle is recorded on the job instead.
    expect((await queues.get('crawl').getJob(a.id!))!.attemptsMade).toBe(0);
    expect((await queues.get('crawl').getJob(a.id!))!.data).toMatchObject({ throttled: 1 });

    // Out of the way of the next test: the pause lifted by hand, these two jobs dropped.
    await redis.del(`${prefix}:polite:host:{${host()}}:pause`);
    await a.remove();
    await b.remove();
  }, 60_000);

  it('503, Retry-After 2: no request reaches the host before the pause ends; then both pages are fetched once', async () => {
    const before = requests.length;
    const a = await crawl('a-503');
    await until(async () => (await a.getState()) === 'delayed', 30_000, 'the throttled page to be put back');
    const end = (await pausedUntil())!;
    expect(end).toBeGreaterThanOrEqual(throttledAt.get('/a-503')! + SHORT_RETRY_AFTER_S * 1000 - 5);
    const b = await crawl('b-503');
    await until(
      async () => (await a.getState()) === 'completed' && (await b.getState()) === 'completed',
      40_000,
      'both pages to be crawled after the pause',
    );

    const after = requests.slice(before);
    expect(after.map((r) => r.path).sort()).toEqual(['/a-503', '/a-503', '/b-503']); // the 503, then one fetch each
    // Every request after the 503 came at or after the stored end of the pause (a lower bound:
    // a busy machine only makes them later).
    for (const r of after.filter((r) => r.at > throttledAt.get('/a-503')!))
      expect(r.at, r.path).toBeGreaterThanOrEqual(end - 5);
    const { rows } = await sql<{ source: string; outcome: string; status: number | null }>`
      SELECT source, outcome, status FROM crawls WHERE source IN ('a-503', 'b-503') ORDER BY id`.execute(t.db);
    expect(rows.filter((r) => r.source === 'b-503')).toEqual([{ source: 'b-503', outcome: 'ok', status: 200 }]);
    expect(
      rows
        .filter((r) => r.source === 'a-503')
        .map((r) => r.outcome)
        .at(-1),
    ).toBe('ok');
  }, 60_000);
});
