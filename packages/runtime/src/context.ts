import type { Config } from '@paperboy/config';
import { createDb, pendingMigrations, type Db } from '@paperboy/db';
import { createLogger, type Logger } from '@paperboy/logger';
import { createMetrics, metricsHandler, type Metrics } from '@paperboy/metrics';
import { createRedis, QueueName, Queues, type RedisClient } from '@paperboy/queue';
import { readinessChecks, startHealthServer } from './health.js';
import { Lifecycle } from './index.js';
import { PostgresWatch } from './postgres-watch.js';

/** The connections a process shares between its services, registered for ordered closing. */
export interface AppContext {
  config: Config;
  logger: Logger;
  db: Db;
  /** For workers: blocking commands, waits out a Redis restart. */
  workerRedis: RedisClient;
  /** For producers: fails a command rather than hanging. */
  producerRedis: RedisClient;
  queues: Queues;
  lifecycle: Lifecycle;
  /** Prometheus metrics of this process (served by `serveHealth`). */
  metrics: Metrics;
  /** Pauses the workers while Postgres does not answer; tells workers which failures to hold (see `holdJob`). */
  postgresWatch: PostgresWatch;
}

export function createAppContext(config: Config, options: { logger?: Logger; name?: string; dbPoolSize?: number } = {}): AppContext {
  const logger = options.logger ?? createLogger({ level: config.logLevel, name: options.name ?? 'paperboy' });
  const db = createDb(config.databaseUrl, {
    max: options.dbPoolSize ?? Math.max(10, config.processorConcurrency + 4),
    // A lost connection fails the query in flight (its job retries); here it is only said.
    onConnectionError: (error) => logger.warn({ err: error.message }, 'Postgres connection lost'),
  });
  const workerRedis = createRedis(config.redisUrl, 'worker');
  const producerRedis = createRedis(config.redisUrl, 'producer');
  const queues = new Queues(producerRedis, { prefix: config.queuePrefix, fetchAttempts: config.fetch.attempts });
  const lifecycle = new Lifecycle(logger, config.shutdownTimeoutMs);
  const postgresWatch = new PostgresWatch({ databaseUrl: config.databaseUrl, logger, lifecycle });
  lifecycle
    .onStart(() => postgresWatch.start())
    .addResource('postgres watch', () => postgresWatch.close())
    .addResource('queues', () => queues.close())
    .addResource('database', () => db.destroy())
    .addResource('redis', async () => {
      // quit() on a connection that never came up would wait for it forever.
      const close = (redis: RedisClient) => (redis.status === 'ready' ? redis.quit().catch(() => redis.disconnect()) : redis.disconnect());
      await Promise.all([close(workerRedis), close(producerRedis)]);
    });
  const metrics = createMetrics({ queues: () => Object.values(QueueName).map((name) => queues.get(name)), defaultLabels: { service: options.name ?? 'paperboy' } });
  return { config, logger, db, workerRedis, producerRedis, queues, lifecycle, metrics, postgresWatch };
}

/**
 * Starts the process's /healthz, /readyz and /metrics server when PAPERBOY_HEALTH_PORT is set,
 * closed with the process. One per process, whatever services it runs.
 */
export async function serveHealth(ctx: AppContext): Promise<void> {
  if (!ctx.config.healthPort) return;
  const health = await startHealthServer({ port: ctx.config.healthPort, checks: readinessChecks(ctx), metrics: metricsHandler(ctx.metrics.registry) }).catch(
    (error: unknown) => {
      throw listenError('PAPERBOY_HEALTH_PORT', ctx.config.healthPort!, error);
    },
  );
  ctx.lifecycle.addResource('health server', () => health.close());
  ctx.logger.info({ port: health.port }, 'health server listening');
}

/**
 * Says at start-up when the database cannot serve this code yet: migrations pending (a service
 * started before `migrate`, or a new version before its migrations) or Postgres unreachable. The
 * service still starts (jobs retry, /readyz answers 503 naming the cause), but the log says why.
 */
export async function warnIfDatabaseNotReady(ctx: Pick<AppContext, 'db' | 'logger'>): Promise<void> {
  try {
    const pending = await pendingMigrations(ctx.db);
    if (pending.length) ctx.logger.warn({ pending }, `the database lacks ${pending.length} migration(s): run \`pnpm paperboy migrate\` (until then jobs fail and /readyz answers 503)`);
  } catch (error) {
    ctx.logger.warn({ err: error }, 'cannot read the database\'s migrations: is Postgres reachable and the database created (`pnpm paperboy migrate`)?');
  }
}

/** A failure to listen on a configured port, said in one line that names the setting. */
export function listenError(setting: string, port: number, error: unknown): Error {
  const code = (error as NodeJS.ErrnoException).code;
  const why = code === 'EADDRINUSE' ? 'the port is already in use' : code === 'EACCES' ? 'not allowed to listen on it' : (error as Error).message;
  return new Error(`cannot listen on ${setting}=${port}: ${why}`, { cause: error });
}

/**
 * Runs a service entrypoint: a failure to start (bad configuration, a port in use, Postgres or
 * Redis unreachable) is one line on stderr and exit status 1, not a stack trace.
 */
export async function runService(name: string, start: () => Promise<void>): Promise<void> {
  try {
    await start();
  } catch (error) {
    process.stderr.write(`paperboy ${name}: ${(error as Error).message}\n`);
    process.exit(1);
  }
}
