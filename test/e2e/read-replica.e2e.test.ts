import { freePort, type TestDatabase, testEnvironment } from '@paperboy/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exited, spawnService, until } from './helpers.js';

// The API process as deployed: DATABASE_READ_URL names a replica that does not answer (nothing
// listens on its port), so whichever pool a route uses shows: reads fail, writes succeed, /readyz
// names the replica. (services/api/src/replica.int.test.ts has the real streaming replica.)
let t: TestDatabase;
const testEnv = testEnvironment();
const { prefix, redisUrl } = testEnv;

beforeAll(async () => {
  t = await testEnv.start();
});
afterAll(async () => {
  await testEnv.stop();
});

describe('the API process with DATABASE_READ_URL', () => {
  it('reads the read API from DATABASE_READ_URL, writes to DATABASE_URL, and /readyz checks both', async () => {
    const [port, deadReplica] = [await freePort(), await freePort()];
    const api = spawnService('services/api/src/main.ts', {
      DATABASE_URL: t.url,
      DATABASE_READ_URL: `postgres://postgres@127.0.0.1:${deadReplica}/paperboy`,
      REDIS_URL: redisUrl,
      PAPERBOY_QUEUE_PREFIX: prefix,
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
      const ready = await fetch(`${base}/readyz`);
      expect(ready.status).toBe(503);
      const checks = ((await ready.json()) as { checks: Record<string, string> }).checks;
      expect(checks).toMatchObject({ postgres: 'ok', redis: 'ok', migrations: 'ok' });
      expect(checks.replica).toMatch(/ECONNREFUSED/);
      // The replica unreachable: a 503 that asks the client to come back, not a 500.
      const papers = await fetch(`${base}/api/papers`);
      expect(papers.status).toBe(503);
      expect(papers.headers.get('retry-after')).toBe('30');
      const subscribe = await fetch(`${base}/api/subscriptions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'ada@example.org' }),
      });
      expect(subscribe.status).toBe(202);
      expect((await t.db.selectFrom('subscribers').select('email').execute()).map((s) => s.email)).toEqual([
        'ada@example.org',
      ]);
    } finally {
      api.kill('SIGTERM');
    }
    expect((await exited(api)).code, api.output().slice(-2000)).toBe(0);
  }, 60_000);
});
