import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRedis, QueueName, Queues } from '@paperboy/queue';
import {
  createTestDatabase,
  type FixtureServer,
  type PrivateRedis,
  send,
  startFixtureServer,
  startPrivateRedis,
  type TestDatabase,
} from '@paperboy/test-utils';
import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { exited, hfApiListing, root, until } from './helpers.js';

// Fault: Redis loses everything (FLUSHALL; a restart without persistence) under a running
// `paperboy start`. Before, its schedules were declared only on boot: nothing was ever crawled,
// planned or refreshed again, and nothing was logged. Now the process re-declares them.

const PAGE = '/api/daily_papers';
const EXPECTED = [
  'crawl/prune-archive-daily',
  'crawl/reconcile-crawls',
  'crawl/source-hf',
  'maintenance/dashboard-rebuild-nightly',
  'maintenance/dashboard-refresh',
  'planning/digest-planner-daily',
  'planning/digest-planner-weekly',
  'webhooks/events-prune',
  'webhooks/events-relay',
];
const prefix = 'pbheal';

let server: FixtureServer;
let dir: string;
let redis: PrivateRedis;
let t: TestDatabase;
let child: (ChildProcess & { log: () => string }) | null = null;

beforeAll(async () => {
  server = await startFixtureServer({
    [PAGE]: send(hfApiListing(), 'application/json'),
  });
  dir = mkdtempSync(join(tmpdir(), 'paperboy-heal-'));
  writeFileSync(
    join(dir, 'sources.yaml'),
    `defaults:\n  politeness: { concurrency: 8, minDelay: 0s, robots: true }\nsources:\n  - { id: hf, adapter: hf-api, url: "${server.url}${PAGE}", schedule: { every: 1h } }\n`,
  );
});
afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(async () => {
  redis = await startPrivateRedis();
  t = await createTestDatabase();
});
afterEach(async () => {
  if (child) {
    child.kill('SIGTERM');
    await exited(child);
    child = null;
  }
  await redis.close();
  await t.drop();
});

function startPaperboy(checkSeconds: number): ChildProcess & { log: () => string } {
  const started = spawn(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', 'packages/cli/src/main.ts', 'start'],
    {
      cwd: root,
      env: {
        ...process.env,
        DATABASE_URL: t.url,
        REDIS_URL: redis.url,
        PAPERBOY_QUEUE_PREFIX: prefix,
        PAPERBOY_ENRICH: 'none',
        PAPERBOY_SOURCES: join(dir, 'sources.yaml'),
        PAPERBOY_FETCH_ALLOW_PRIVATE: '1',
        PAPERBOY_SCHEDULE_CHECK_SECONDS: String(checkSeconds),
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let log = '';
  started.stdout!.on('data', (d) => (log += d));
  started.stderr!.on('data', (d) => (log += d));
  return Object.assign(started, { log: () => log });
}

/** Every job scheduler in the private Redis, as queue/id. */
async function schedulers(): Promise<string[]> {
  const connection = createRedis(redis.url, 'producer');
  const queues = new Queues(connection, { prefix, fetchAttempts: 1 });
  try {
    const all = await Promise.all(
      Object.values(QueueName).map(async (name) =>
        (await queues.get(name).getJobSchedulers(0, -1)).map((s) => `${name}/${s.key}`),
      ),
    );
    return all.flat().sort();
  } catch {
    return []; // Redis restarting
  } finally {
    await queues.close();
    connection.disconnect();
  }
}

const papers = async () => (await sql<{ n: number }>`SELECT count(*)::int AS n FROM papers`.execute(t.db)).rows[0]!.n;
const pageHits = () => server.hits.get(PAGE) ?? 0;
const healWarnings = (log: string) =>
  log
    .split('\n')
    .filter((line) => line.includes('schedules were missing from Redis'))
    .map((line) => JSON.parse(line) as { level: number; msg: string; schedules: string[] });

/** Boots `paperboy start`, waits for its first crawl to be stored, and returns the page hits so far. */
async function bootAndCrawl(checkSeconds: number): Promise<number> {
  child = startPaperboy(checkSeconds);
  const log = child.log;
  await until(async () => log().includes('paperboy started'), 60_000, `paperboy start to be ready\n${log()}`);
  expect(await schedulers()).toEqual(EXPECTED);
  await until(async () => (await papers()) === 30, 60_000, `the first crawl to store 30 papers\n${log()}`);
  expect(healWarnings(log())).toEqual([]);
  return pageHits();
}

/** After the fault: the exact schedulers are back, a crawl runs again, nothing is duplicated. */
async function expectHealed(before: number): Promise<void> {
  const log = child!.log;
  await until(
    async () => (await schedulers()).length === EXPECTED.length,
    60_000,
    `the schedulers to be re-declared\n${log()}`,
  );
  expect(await schedulers()).toEqual(EXPECTED);
  // The source's scheduler runs at once when declared: its page is fetched again.
  await until(async () => pageHits() > before, 60_000, `a crawl after the fault\n${log()}`);
  await until(
    async () => {
      const connection = createRedis(redis.url, 'producer');
      const queues = new Queues(connection, { prefix, fetchAttempts: 1 });
      try {
        return (await queues.get('crawl').getJobCounts('completed')).completed! >= 2; // the crawl-source and its crawl-page
      } finally {
        await queues.close();
        connection.disconnect();
      }
    },
    60_000,
    `the crawl jobs after the fault to complete\n${log()}`,
  );
  expect(await papers()).toBe(30);
  const warnings = healWarnings(log());
  expect(warnings.map((w) => ({ level: w.level, msg: w.msg, schedules: [...w.schedules].sort() }))).toEqual([
    {
      level: 40,
      msg: '9 schedules were missing from Redis: re-declared',
      schedules: [
        'dashboard-rebuild-nightly',
        'dashboard-refresh',
        'digest-planner-daily',
        'digest-planner-weekly',
        'events-prune',
        'events-relay',
        'prune-archive-daily',
        'reconcile-crawls',
        'source-hf',
      ],
    },
  ]);
  expect(child!.exitCode).toBeNull();
}

describe('schedules rebuild themselves after Redis loses them', () => {
  it('FLUSHALL under a running `paperboy start`: re-declared within the check period, and crawls run again', async () => {
    const before = await bootAndCrawl(2);
    await redis.flushAll();
    expect(await schedulers()).toEqual([]);
    await expectHealed(before);
  }, 180_000);

  it('Redis killed and restarted empty: re-declared on reconnect (check period an hour), and crawls run again', async () => {
    const before = await bootAndCrawl(3600);
    await redis.restart({ aof: false });
    await expectHealed(before);
  }, 180_000);
});
