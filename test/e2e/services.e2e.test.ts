import { mkdtempSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRedis, Queues } from '@paperboy/queue';
import { type FixtureServer, send, startFixtureServer, type TestDatabase, testEnvironment } from '@paperboy/test-utils';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exited, hfApiListing, spawnService, until } from './helpers.js';

// The services as docker-compose runs them: one process each, started from their entrypoints.
// Each must declare its own schedules (nothing else does in that setup), and every line a job
// logs must say which queue, job and source it belongs to.

let t: TestDatabase;
let server: FixtureServer;
const testEnv = testEnvironment();
const { prefix, redisUrl } = testEnv;
const dir = mkdtempSync(join(tmpdir(), 'paperboy-services-'));

beforeAll(async () => {
  t = await testEnv.start();
  server = await startFixtureServer({
    '/api/daily_papers': send(hfApiListing(), 'application/json'),
  });
  writeFileSync(
    join(dir, 'sources.yaml'),
    `defaults:\n  politeness: { concurrency: 8, minDelay: 0s, robots: true }\nsources:\n` +
      `  - { id: local-hf, adapter: hf-api, url: "${server.url}/api/daily_papers", schedule: { every: 6h } }\n`,
  );
});
afterAll(async () => {
  await server?.close();
  await testEnv.stop();
});

describe('services as separate processes', () => {
  it('each declares its schedules, they crawl, store and refresh the dashboard, and every job line names queue, job id and source', async () => {
    const env = {
      ...testEnv.processEnv(),
      PAPERBOY_SOURCES: join(dir, 'sources.yaml'),
      PAPERBOY_FETCH_ALLOW_PRIVATE: '1',
      PAPERBOY_OUTBOX_DIR: join(dir, 'outbox'),
      PAPERBOY_DASHBOARD_REFRESH_SECONDS: '10',
      LOG_LEVEL: 'debug',
    };
    const services = {
      fetcher: spawnService('services/fetcher/src/main.ts', env),
      processor: spawnService('services/processor/src/main.ts', env),
      notifier: spawnService('services/notifier/src/main.ts', env),
    };
    const redis = createRedis(redisUrl, 'producer');
    const queues = new Queues(redis, { prefix, fetchAttempts: 1 });
    try {
      for (const [name, child] of Object.entries(services)) {
        await until(async () => child.output().includes(`${name} started`), 30_000, `${name} to start`);
      }
      const keys = async (queue: 'crawl' | 'planning' | 'notify' | 'maintenance' | 'webhooks') =>
        (await queues.get(queue).getJobSchedulers(0, -1)).map((s) => s.key).sort();
      expect(await keys('crawl')).toEqual(['prune-archive-daily', 'reconcile-crawls', 'source-local-hf']);
      expect(await keys('planning')).toEqual(['digest-planner-daily', 'digest-planner-weekly']);
      expect(await keys('notify')).toEqual([]);
      expect(await queues.get('notify').getDelayedCount()).toBe(0); // nor a scheduled job: planners run on `planning`
      expect(await keys('maintenance')).toEqual(['dashboard-rebuild-nightly', 'dashboard-refresh']);
      expect(await keys('webhooks')).toEqual(['events-prune', 'events-relay']);

      // The source's schedule crawls it (BullMQ runs an `every` schedule at once); the papers land.
      const papers = async () =>
        (await sql<{ n: number }>`SELECT count(*)::int AS n FROM papers`.execute(t.db)).rows[0]!.n;
      await until(async () => (await papers()) === 30, 30_000, '30 papers to be stored');
      // A scheduled refresh (every 10 s here) brings them into the precomputed views.
      const trendPapers = async () =>
        (await sql<{ n: number }>`SELECT coalesce(sum(papers), 0)::int AS n FROM dashboard.topic_trends`.execute(t.db))
          .rows[0]!.n;
      await until(async () => (await trendPapers()) === 30, 40_000, 'the dashboard refresh to count 30 papers');
    } finally {
      await queues.close();
      redis.disconnect();
      for (const child of Object.values(services)) child.kill('SIGTERM');
    }
    for (const [name, child] of Object.entries(services))
      expect((await exited(child)).code, `${name}: ${child.output().slice(-2000)}`).toBe(0);

    const lines = Object.values(services)
      .flatMap((child) => child.output().split('\n'))
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const jobLines = lines.filter((line) => 'jobId' in line);
    // JSON.parse keeps the last of two equal keys: look at the raw lines for a repeated `source`.
    const raw = Object.values(services)
      .flatMap((child) => child.output().split('\n'))
      .filter((line) => line.startsWith('{'));
    for (const line of raw) expect(line.match(/"source":/g)?.length ?? 0, line).toBeLessThanOrEqual(1);
    const byMessage = (msg: string) => jobLines.filter((line) => line.msg === msg);
    expect(byMessage('source run queued').length).toBeGreaterThan(0);
    expect(byMessage('page crawled').length).toBeGreaterThan(0);
    expect(byMessage('batch stored').length).toBeGreaterThan(0);
    expect(byMessage('dashboard views refreshed').length).toBeGreaterThan(0);
    for (const line of jobLines) {
      expect(Object.keys(line), JSON.stringify(line)).toEqual(
        expect.arrayContaining(['queue', 'jobId', 'job', 'source']),
      );
      expect(typeof line.jobId, JSON.stringify(line)).toBe('string');
    }
    for (const line of [...byMessage('page crawled'), ...byMessage('batch stored')])
      expect(line.source).toBe('local-hf');
    // The planners run at once (an `every` schedule does); with no subscriber they send nothing.
    expect(byMessage('digests planned').map((line) => line.queue)).toEqual(['planning', 'planning']);
    expect(new Set(jobLines.map((line) => line.queue))).toEqual(
      new Set(['crawl', 'ingest', 'planning', 'maintenance']),
    );
  }, 120_000);

  it('says at start-up that the database lacks its migrations (api and worker services)', async () => {
    const unmigrated = testEnv.otherDatabase(`paperboy_unmigrated_${process.pid}`);
    await unmigrated.drop();
    await unmigrated.create();
    const base = {
      DATABASE_URL: unmigrated.url,
      REDIS_URL: redisUrl,
      PAPERBOY_QUEUE_PREFIX: prefix,
      PAPERBOY_SCHEDULES: '0',
    };
    const api = spawnService('services/api/src/main.ts', { ...base, PORT: '0', HOST: '127.0.0.1' });
    const processor = spawnService('services/processor/src/main.ts', base);
    try {
      for (const child of [api, processor]) {
        await until(
          async () => /the database lacks \d+ migration\(s\): run `pnpm paperboy migrate`/.test(child.output()),
          30_000,
          'the warning',
        );
      }
    } finally {
      api.kill('SIGTERM');
      processor.kill('SIGTERM');
      await Promise.all([exited(api), exited(processor)]);
      await unmigrated.drop();
    }
  }, 60_000);

  it('the API keeps running when Postgres is unreachable at start-up, and /readyz says so', async () => {
    // A port nothing listens on: Postgres refuses every connection.
    const closed = createServer().listen(0, '127.0.0.1');
    await new Promise((resolve) => closed.once('listening', resolve));
    const dbPort = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const api = spawnService('services/api/src/main.ts', {
      DATABASE_URL: `postgres://postgres@127.0.0.1:${dbPort}/paperboy`,
      REDIS_URL: redisUrl,
      PAPERBOY_QUEUE_PREFIX: prefix,
      PORT: '0',
      HOST: '127.0.0.1',
    });
    let code: number | null | undefined;
    void exited(api).then((e) => {
      code = e.code;
    });
    try {
      await until(async () => /"msg":"API started"/.test(api.output()) || code !== undefined, 30_000, 'the API');
      const port = /"listening":"http:\/\/127\.0\.0\.1:(\d+)"/.exec(api.output())?.[1];
      expect(port, api.output()).toBeDefined();
      // Long enough for every start-up query to have been refused.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(code, api.output()).toBeUndefined();
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
      expect(ready.status).toBe(503);
      expect(((await ready.json()) as { checks: Record<string, string> }).checks.postgres).not.toBe('ok');
      expect(api.output()).not.toMatch(/Unhandled|^\s+at /m);
    } finally {
      api.kill('SIGTERM');
      await exited(api);
    }
  }, 60_000);

  it('fails to start in one line, not a stack trace: a port in use, a bad setting', async () => {
    const blocker = createServer().listen(0, '127.0.0.1');
    await new Promise((resolve) => blocker.once('listening', resolve));
    const port = (blocker.address() as AddressInfo).port;
    try {
      const base = { DATABASE_URL: t.url, REDIS_URL: redisUrl, PAPERBOY_QUEUE_PREFIX: prefix, PAPERBOY_SCHEDULES: '0' };
      const cases = [
        [
          'services/processor/src/main.ts',
          { ...base, PAPERBOY_HEALTH_PORT: String(port) },
          `paperboy processor: cannot listen on PAPERBOY_HEALTH_PORT=${port}: the port is already in use`,
        ],
        [
          'services/api/src/main.ts',
          { ...base, PORT: String(port), HOST: '127.0.0.1' },
          `paperboy api: cannot listen on PORT=${port}: the port is already in use`,
        ],
        [
          'services/notifier/src/main.ts',
          { ...base, PAPERBOY_DASHBOARD_REFRESH_SECONDS: 'soon' },
          'paperboy notifier: invalid configuration:',
        ],
      ] as const;
      for (const [entry, env, message] of cases) {
        const child = spawnService(entry, env);
        expect((await exited(child)).code, child.output()).toBe(1);
        expect(child.output()).toContain(message);
        expect(child.output()).not.toMatch(/^\s+at /m);
      }
    } finally {
      blocker.close();
    }
  }, 60_000);
});
