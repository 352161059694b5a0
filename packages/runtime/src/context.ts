import type { Config } from '@paperboy/config';
import { createDb, type Db } from '@paperboy/db';
import { createLogger, type Logger } from '@paperboy/logger';
import { createRedis, Queues } from '@paperboy/queue';
import type { Redis } from 'ioredis';
import { Lifecycle } from './index.js';

/** The connections a process shares between its services, registered for ordered closing. */
export interface AppContext {
  config: Config;
  logger: Logger;
  db: Db;
  /** For workers: blocking commands, waits out a Redis restart. */
  workerRedis: Redis;
  /** For producers: fails a command rather than hanging. */
  producerRedis: Redis;
  queues: Queues;
  lifecycle: Lifecycle;
}

export function createAppContext(config: Config, options: { logger?: Logger; name?: string; dbPoolSize?: number } = {}): AppContext {
  const logger = options.logger ?? createLogger({ level: config.logLevel, name: options.name ?? 'paperboy' });
  const db = createDb(config.databaseUrl, { max: options.dbPoolSize ?? Math.max(10, config.processorConcurrency + 4) });
  const workerRedis = createRedis(config.redisUrl, 'worker');
  const producerRedis = createRedis(config.redisUrl, 'producer');
  const queues = new Queues(producerRedis, { prefix: config.queuePrefix, fetchAttempts: config.fetch.attempts });
  const lifecycle = new Lifecycle(logger, config.shutdownTimeoutMs)
    .addResource('queues', () => queues.close())
    .addResource('database', () => db.destroy())
    .addResource('redis', async () => {
      // quit() on a connection that never came up would wait for it forever.
      const close = (redis: Redis) => (redis.status === 'ready' ? redis.quit().catch(() => redis.disconnect()) : redis.disconnect());
      await Promise.all([close(workerRedis), close(producerRedis)]);
    });
  return { config, logger, db, workerRedis, producerRedis, queues, lifecycle };
}
