import type { Config } from '@paperboy/config';
import { createDb } from '@paperboy/db';
import { createLogger, type Logger } from '@paperboy/logger';
import { createMetrics } from '@paperboy/metrics';
import { createRedis, QueueName, Queues, type RedisClient } from '@paperboy/queue';
import { Lifecycle, PostgresWatch, type ProcessContext } from '@paperboy/runtime';

/** The connections a process shares between its services, registered for ordered closing. */
export interface AppContext extends ProcessContext {
  /** For workers: blocking commands, waits out a Redis restart. */
  workerRedis: RedisClient;
  queues: Queues;
  /** Pauses the workers while Postgres does not answer; tells workers which failures to hold (see `holdJob`). */
  postgresWatch: PostgresWatch;
}

/** Options of `createAppContext`. */
export interface AppContextOptions {
  /** Default: a pino logger at the configured level, named `name`. */
  logger?: Logger;
  /** The process's name in logs and in the metrics' `service` label. Default `paperboy`. */
  name?: string;
  /** Postgres pool size. Default the processor's concurrency plus 4, at least 10. */
  dbPoolSize?: number;
}

/**
 * Builds a process's context from the configuration: the Postgres pool, the two Redis connections
 * (worker and producer), the typed queues, the metrics, and a `Lifecycle` that closes them in order
 * (Postgres watch, queues, database, Redis) after the workers.
 */
export function createAppContext(config: Config, options: AppContextOptions = {}): AppContext {
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
      const close = (redis: RedisClient) =>
        redis.status === 'ready' ? redis.quit().catch(() => redis.disconnect()) : redis.disconnect();
      await Promise.all([close(workerRedis), close(producerRedis)]);
    });
  const metrics = createMetrics({
    queues: () => Object.values(QueueName).map((name) => queues.get(name)),
    defaultLabels: { service: options.name ?? 'paperboy' },
  });
  return { config, logger, db, workerRedis, producerRedis, queues, lifecycle, metrics, postgresWatch };
}
