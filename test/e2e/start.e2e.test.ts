import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { createRedis, Queues } from '@paperboy/queue';
import { type FixtureServer, send, startFixtureServer, type TestDatabase, testEnvironment } from '@paperboy/test-utils';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exited, hfApiListing, root, until } from './helpers.js';

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

let t: TestDatabase;
let server: FixtureServer;
const testEnv = testEnvironment();
const { prefix, redisUrl } = testEnv;

beforeAll(async () => {
  t = await testEnv.start();
  server = await startFixtureServer({
    '/api/daily_papers': send(hfApiListing(), 'application/json'),
  });
});
afterAll(async () => {
  await server?.close();
  await testEnv.stop();
});

describe('paperboy start', () => {
  it('runs fetcher and processor in one process, takes crawl jobs from the queue, and stops cleanly on SIGTERM', async () => {
    const healthPort = await freePort();
    const child = spawn('pnpm', ['paperboy', 'start'], {
      cwd: root,
      env: {
        ...process.env,
        ...testEnv.processEnv(),
        PAPERBOY_SOURCES: `${root}test/fixtures/sources.test.yaml`,
        PAPERBOY_FETCH_ALLOW_PRIVATE: '1',
        LOG_LEVEL: 'info',
        PAPERBOY_HEALTH_PORT: String(healthPort),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    child.stderr.on('data', (d) => (log += d));
    await until(async () => log.includes('paperboy started'), 30_000, 'paperboy start to be ready');
    expect(log).toMatch(/digest-planner-daily/);

    const redis = createRedis(redisUrl, 'producer');
    const queues = new Queues(redis, { prefix, fetchAttempts: 1 });
    await queues.add('crawl-page', { source: 'hf-api', url: `${server.url}/api/daily_papers` });
    const papers = async () =>
      (await sql<{ n: number }>`SELECT count(*)::int AS n FROM papers`.execute(t.db)).rows[0]!.n;
    await until(async () => (await papers()) === 30, 30_000, '30 papers to be stored');
    await queues.close();
    redis.disconnect();

    // Health and metrics of the running process.
    const health = `http://127.0.0.1:${healthPort}`;
    expect((await fetch(`${health}/healthz`)).status).toBe(200);
    const ready = await fetch(`${health}/readyz`);
    expect(ready.status, await ready.clone().text()).toBe(200);
    const metrics = await (await fetch(`${health}/metrics`)).text();
    expect(metrics).toMatch(/paperboy_pages_fetched_total\{[^}]*source="hf-api"[^}]*status="200"[^}]*\} 1/);
    expect(metrics).toMatch(/paperboy_papers_new_total\{[^}]*source="hf-api"[^}]*\} 30/);
    expect(metrics).toMatch(/paperboy_queue_jobs\{[^}]*queue="ingest"/);

    // SIGTERM to `pnpm paperboy start`, as a supervisor sends it. pnpm does not pass it on; the
    // paperboy process notices its parent is gone and shuts down in order all the same.
    const logClosed = new Promise((resolve) => child.stderr.once('close', resolve));
    child.kill('SIGTERM');
    await exited(child);
    await logClosed; // the paperboy process holds the pipe until it has exited
    expect(log).toMatch(/shutting down/);
    expect(log.indexOf('"msg":"stopped"')).toBeGreaterThan(log.indexOf('shutting down'));
  }, 90_000);
});
