import { createDb } from '@paperboy/db';
import { createMetrics, metricsHandler } from '@paperboy/metrics';
import { createRedis, type RedisClient } from '@paperboy/queue';
import { createTestDatabase, requireEnv, type TestDatabase, withDatabase } from '@paperboy/test-utils';
import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type HealthServer, type ReadinessChecks, readinessChecks, startHealthServer } from './health.js';

const redisUrl = requireEnv('TEST_REDIS_URL');
let testDb: TestDatabase;
let redis: RedisClient;
const cleanup: Array<() => Promise<unknown> | unknown> = [];

beforeAll(async () => {
  testDb = await createTestDatabase();
  redis = createRedis(redisUrl, 'producer');
});

afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

afterAll(async () => {
  redis?.disconnect();
  await testDb?.drop();
});

async function start(
  checks: ReadinessChecks,
  extra: Partial<Parameters<typeof startHealthServer>[0]> = {},
): Promise<HealthServer> {
  const server = await startHealthServer({ port: 0, host: '127.0.0.1', checks, ...extra });
  cleanup.push(() => server.close());
  return server;
}

async function get(server: HealthServer, path: string, method = 'GET') {
  const res = await fetch(`http://127.0.0.1:${server.port}${path}`, { method });
  const text = await res.text();
  return { status: res.status, contentType: res.headers.get('content-type'), text, json: () => JSON.parse(text) };
}

describe('startHealthServer', () => {
  it('GET /healthz answers 200 while the process runs, whatever the dependencies say', async () => {
    const down = async () => Promise.reject(new Error('down'));
    const server = await start({ postgres: down, redis: down, migrations: down });
    const res = await get(server, '/healthz');
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ status: 'ok' });
  });

  it('GET /healthz lists the worker processes it is given, as they are at the time', async () => {
    const up = async () => {};
    const processes = [
      { index: 1, pid: 101, state: 'running' },
      { index: 2, pid: 102, state: 'restarting' },
    ];
    const server = await start({ postgres: up, redis: up, migrations: async () => [] }, { processes: () => processes });
    expect((await get(server, '/healthz')).json()).toEqual({ status: 'ok', processes, running: 1 });
    processes[1]!.state = 'running';
    expect((await get(server, '/healthz')).json()).toMatchObject({ running: 2 });
  });

  it('GET /readyz is 200 on a migrated database and a live Redis', async () => {
    const server = await start(readinessChecks({ db: testDb.db, producerRedis: redis }));
    const res = await get(server, '/readyz');
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ status: 'ok', checks: { postgres: 'ok', redis: 'ok', migrations: 'ok' } });
    expect((await get(server, '/readyz?verbose=1')).status).toBe(200);
  });

  it('GET /readyz is 503 naming postgres when the database does not exist', async () => {
    const missing = createDb(withDatabase(testDb.url, `paperboy_missing_${Date.now()}`), { max: 1 });
    cleanup.push(() => missing.destroy());
    const server = await start(readinessChecks({ db: missing, producerRedis: redis }));
    const res = await get(server, '/readyz');
    expect(res.status).toBe(503);
    const body = res.json();
    expect(body.status).toBe('unready');
    expect(body.checks.redis).toBe('ok');
    expect(body.checks.postgres).toMatch(/does not exist/);
    expect(body.checks.migrations).not.toBe('ok');
  });

  it('GET /readyz is 503 naming redis when nothing listens on its port', async () => {
    const deadRedis = createRedis('redis://127.0.0.1:1', 'producer');
    cleanup.push(() => deadRedis.disconnect());
    const server = await start(readinessChecks({ db: testDb.db, producerRedis: deadRedis }), { checkTimeoutMs: 300 });
    // That the answer comes even from a check that never does is the next tests' subject
    // ('bounds each check by the timeout'), without a wall-clock bound.
    const res = await get(server, '/readyz');
    expect(res.status).toBe(503);
    expect(res.json()).toEqual({
      status: 'unready',
      checks: {
        postgres: 'ok',
        redis: expect.stringMatching(/timeout after 300 ms|ECONNREFUSED|max retries/),
        migrations: 'ok',
      },
    });
  });

  it('GET /readyz is 503 naming the pending migrations', async () => {
    // A fresh database of its own, with the last migration undone.
    const other = await createTestDatabase();
    cleanup.push(() => other.drop());
    const { rows } = await sql<{ name: string }>`select max(name) as name from kysely_migration`.execute(other.db);
    const last = rows[0]!.name;
    await sql`delete from kysely_migration where name = ${last}`.execute(other.db);
    const server = await start(readinessChecks({ db: other.db, producerRedis: redis }));
    const res = await get(server, '/readyz');
    expect(res.status).toBe(503);
    expect(res.json().checks).toEqual({ postgres: 'ok', redis: 'ok', migrations: `1 pending: ${last}` });
  });

  it('bounds each check by the timeout', async () => {
    const never = () => new Promise<never>(() => {});
    const server = await start(
      { postgres: never, redis: async () => {}, migrations: async () => [] },
      { checkTimeoutMs: 150 },
    );
    const res = await get(server, '/readyz');
    expect(res.status).toBe(503);
    expect(res.json().checks).toEqual({ postgres: 'timeout after 150 ms', redis: 'ok', migrations: 'ok' });
  });

  it('serves /metrics when given, 404 for unknown paths (and /metrics without metrics), 405 for other methods', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    metrics.papersNew.inc({ source: 'hf-papers' }, 3);
    const ok = readinessChecks({ db: testDb.db, producerRedis: redis });
    const withMetrics = await start(ok, { metrics: metricsHandler(metrics.registry) });
    const res = await get(withMetrics, '/metrics');
    expect(res.status).toBe(200);
    expect(res.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(res.text).toContain('paperboy_papers_new_total{source="hf-papers"} 3');
    expect(res.text).toContain('# TYPE paperboy_queue_jobs gauge');
    expect((await get(withMetrics, '/nope')).status).toBe(404);
    expect((await get(withMetrics, '/healthz', 'POST')).status).toBe(405);
    expect((await get(withMetrics, '/healthz', 'HEAD')).status).toBe(200);

    const without = await start(ok);
    expect((await get(without, '/metrics')).status).toBe(404);

    const failing = await start(ok, {
      metrics: { contentType: 'text/plain', body: async () => Promise.reject(new Error('boom')) },
    });
    const failed = await get(failing, '/metrics');
    expect(failed.status).toBe(500);
    expect(failed.text).toContain('boom');
  });

  it('close() stops listening, also with a keep-alive connection open, and can be called twice', async () => {
    const server = await startHealthServer({
      port: 0,
      host: '127.0.0.1',
      checks: readinessChecks({ db: testDb.db, producerRedis: redis }),
    });
    expect((await get(server, '/healthz')).status).toBe(200); // fetch keeps the connection alive
    await Promise.all([server.close(), server.close()]);
    await expect(fetch(`http://127.0.0.1:${server.port}/healthz`)).rejects.toThrow();
  });

  it('rejects when the port is taken', async () => {
    const first = await start({ postgres: async () => {}, redis: async () => {}, migrations: async () => [] });
    await expect(
      startHealthServer({
        port: first.port,
        host: '127.0.0.1',
        checks: { postgres: async () => {}, redis: async () => {}, migrations: async () => [] },
      }),
    ).rejects.toThrow(/EADDRINUSE/);
  });
});
