import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApi } from '@paperboy/api';
import { type Config, loadConfig } from '@paperboy/config';
import { createTransport } from '@paperboy/mail';
import { createNotifierWorkers, DigestCandidates } from '@paperboy/notifier';
import { loadTaxonomy } from '@paperboy/pipeline';
import { createRedis, Queues, type Worker } from '@paperboy/queue';
import { type SmtpTestServer, startSmtpTestServer, type TestDatabase, testEnvironment } from '@paperboy/test-utils';
import { pino } from 'pino';
import type { Browser } from 'playwright-core';
import { launchChromium } from './browser.js';

type FastifyInstance = Awaited<ReturnType<typeof buildApi>>;

/** A running API, the notifier's workers on the same queues, and Chromium: what the browser tests drive. */
export interface ApiHarness {
  t: TestDatabase;
  app: FastifyInstance;
  /** The API's address, http://127.0.0.1:<port>. */
  base: string;
  queues: Queues;
  browser: Browser;
  /** The SMTP server the notifier sends to (with `smtp`); else mail goes to an outbox folder. */
  smtp: SmtpTestServer | null;
  /** The notifier's configuration (PAPERBOY_PUBLIC_URL is the API's address). */
  config: Config;
  stop(): Promise<void>;
}

/**
 * Starts a test database, the API on a loopback port, the notifier's workers (sends and planning,
 * train-reader included) whose mails link to that API, and Chromium. The notifier's ranked
 * candidates are never kept (a paper added by the test is a candidate at once).
 */
export async function startApiHarness(options: { secret: string; smtp: boolean }): Promise<ApiHarness> {
  const testEnv = testEnvironment();
  const { prefix, redisUrl } = testEnv;
  const redis = createRedis(redisUrl, 'producer');
  const workerRedis = createRedis(redisUrl, 'worker');
  const queues = new Queues(redis, { prefix, fetchAttempts: 1 });
  const t = await testEnv.start();
  const smtp = options.smtp ? await startSmtpTestServer() : null;
  const env = { PAPERBOY_QUEUE_PREFIX: prefix, PAPERBOY_SECRET: options.secret };
  const app = await buildApi({
    db: t.db,
    config: loadConfig(env),
    logger: pino({ level: 'silent' }),
    redis,
    jobs: queues,
    taxonomy: loadTaxonomy(),
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const config = loadConfig({ ...env, PAPERBOY_PUBLIC_URL: base });
  const mailer = createTransport({
    smtpUrl: smtp?.url,
    outboxDir: join(tmpdir(), `paperboy-outbox-${prefix}`),
    pool: false,
  });
  const workers: Worker[] = createNotifierWorkers({
    db: t.db,
    logger: pino({ level: 'silent' }),
    config,
    connection: workerRedis,
    queues,
    transport: mailer,
    candidates: new DigestCandidates(t.db, { weights: config.ranking, ttlMs: 0 }),
  });
  for (const worker of workers) void worker.run();
  const browser = await launchChromium();
  return {
    t,
    app,
    base,
    queues,
    browser,
    smtp,
    config,
    async stop() {
      await browser.close();
      await app.close();
      await Promise.all(workers.map((w) => w.close(true)));
      await mailer.close();
      await queues.close();
      await smtp?.close();
      redis.disconnect();
      workerRedis.disconnect();
      await testEnv.stop();
    },
  };
}
