import { freePort, type TestDatabase, testEnvironment } from '@paperboy/test-utils';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exited, spawnService, until } from './helpers.js';

// The API process as deployed, with PAPERBOY_API_STATEMENT_TIMEOUT_MS: another session holds a
// lock on papers, so a read waits until Postgres cancels it; the process answers 503 (not 500, not
// a hung request), says so in its log as a warning, answers again once the lock is gone, and
// subscribing (the primary pool, no limit) waits out a lock longer than the limit.
let t: TestDatabase;
const testEnv = testEnvironment();
const { prefix, redisUrl } = testEnv;

beforeAll(async () => {
  t = await testEnv.start();
});
afterAll(async () => {
  await testEnv.stop();
});

describe('the API process with PAPERBOY_API_STATEMENT_TIMEOUT_MS', () => {
  it('answers 503 with Retry-After when a read runs out of time, then answers again; writes keep no limit', async () => {
    const port = await freePort();
    const api = spawnService('services/api/src/main.ts', {
      DATABASE_URL: t.url,
      REDIS_URL: redisUrl,
      PAPERBOY_QUEUE_PREFIX: prefix,
      PAPERBOY_API_STATEMENT_TIMEOUT_MS: '300',
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
    });
    const base = `http://127.0.0.1:${port}`;
    try {
      await until(
        async () => (await fetch(`${base}/healthz`).catch(() => null))?.status === 200,
        30_000,
        'the API to listen',
      );
      expect((await fetch(`${base}/api/papers/2611.00001`)).status).toBe(404);
      await t.db.transaction().execute(async (trx) => {
        await sql`LOCK TABLE papers IN ACCESS EXCLUSIVE MODE`.execute(trx);
        const started = Date.now();
        const res = await fetch(`${base}/api/papers/2611.00001`);
        expect(res.status).toBe(503);
        expect(res.headers.get('retry-after')).toBe('5');
        expect(((await res.json()) as { error: string }).error).toBe('the query took too long; try again later');
        expect(Date.now() - started).toBeLessThan(5_000);
      });
      expect((await fetch(`${base}/api/papers/2611.00001`)).status).toBe(404);
      let subscribe: Promise<Response> | undefined;
      await t.db.transaction().execute(async (trx) => {
        await sql`LOCK TABLE subscribers IN ACCESS EXCLUSIVE MODE`.execute(trx);
        subscribe = fetch(`${base}/api/subscriptions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email: 'ada@example.org' }),
        });
        await new Promise((resolve) => setTimeout(resolve, 800));
      });
      expect((await subscribe!).status).toBe(202);
      await until(() => Promise.resolve(api.output().includes('read query timed out')), 5_000, 'the warning');
      expect(api.output()).toMatch(/"level":40[^\n]*read query timed out/);
    } finally {
      api.kill('SIGTERM');
    }
    expect((await exited(api)).code, api.output().slice(-2000)).toBe(0);
  }, 60_000);
});
