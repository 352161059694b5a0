import { buildApi } from '@paperboy/api';
import { loadConfig } from '@paperboy/config';
import { loadTaxonomy } from '@paperboy/pipeline';
import { createRedis } from '@paperboy/queue';
import { type TestDatabase, testEnvironment } from '@paperboy/test-utils';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exited, runCli, spawnService } from './helpers.js';

// The link secret across processes: a short or published PAPERBOY_SECRET stops every process that
// signs links; unset, separate processes on one database sign and check links with the same
// generated secret.

let t: TestDatabase;
let env: Record<string, string>;
const testEnv = testEnvironment();
const { prefix, redisUrl } = testEnv;
const PUBLISHED = 'change-me-to-a-long-random-secret'; // the placeholder docker-compose used to fill in

beforeAll(async () => {
  t = await testEnv.start();
  env = {
    ...testEnv.processEnv(),
    PAPERBOY_SECRET: '',
    LOG_LEVEL: 'warn',
    PAPERBOY_OUTBOX_DIR: '/tmp/paperboy-link-secret-outbox',
  };
});
afterAll(async () => {
  await testEnv.stop();
});

describe('PAPERBOY_SECRET', () => {
  it('a published or short secret: the CLI commands that sign links exit 2, the api and notifier do not start', async () => {
    for (const secret of [PUBLISHED, 'paperboy-development-secret-not-for-production', 'too-short-0123456789']) {
      const preview = await runCli(['digest', 'preview', 'ada@example.org'], { ...env, PAPERBOY_SECRET: secret });
      expect(preview.code, preview.stderr).toBe(2);
      expect(preview.stderr).toMatch(
        /PAPERBOY_SECRET \(value not shown\): (too short|a published default or a placeholder)/,
      );
      expect(preview.stderr).not.toContain(secret);
    }
    for (const entry of ['services/api/src/main.ts', 'services/notifier/src/main.ts']) {
      const child = spawnService(entry, { ...env, PAPERBOY_SECRET: PUBLISHED, PORT: '0', HOST: '127.0.0.1' });
      const { code } = await exited(child);
      expect(code, child.output()).toBe(1);
      expect(child.output()).toMatch(/PAPERBOY_SECRET \(value not shown\): a published default or a placeholder/);
    }
  }, 90_000);

  it('unset: a link signed by one process (the CLI) is accepted by another (the API) on the same database', async () => {
    const added = await runCli(['subscribers', 'add', 'ada@example.org', '--topics', 'llm'], env);
    expect(added.code, added.stderr).toBe(0);
    const preview = await runCli(['digest', 'preview', 'ada@example.org'], env);
    expect(preview.code, preview.stderr).toBe(0);
    const path = /href="http:\/\/localhost:3000(\/unsubscribe\?token=[\w.-]+)"/.exec(preview.stdout)![1]!;
    const redis = createRedis(redisUrl, 'producer');
    const api = await buildApi({
      db: t.db,
      config: loadConfig({ PAPERBOY_QUEUE_PREFIX: prefix }),
      logger: pino({ level: 'silent' }),
      redis,
      taxonomy: loadTaxonomy(),
    });
    try {
      expect((await api.inject({ method: 'GET', url: path })).statusCode).toBe(200);
      expect((await api.inject({ method: 'GET', url: `${path}x` })).statusCode).toBe(400);
    } finally {
      await api.close();
      redis.disconnect();
    }
  }, 90_000);
});
