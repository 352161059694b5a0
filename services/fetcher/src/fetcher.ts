import type { Db } from '@paperboy/db';
import type { FetchSettings } from '@paperboy/http';
import type { Logger } from '@paperboy/logger';
import { createWorker, type Queues, type Worker } from '@paperboy/queue';
import type { Redis } from 'ioredis';
import { createCrawlPageHandler } from './handlers/crawl-page.handler.js';

export interface FetcherDeps {
  db: Db;
  logger: Logger;
  connection: Redis;
  queues: Queues;
  prefix: string;
  concurrency: number;
  lockDurationMs?: number;
  fetch: Omit<FetchSettings, 'accept'>;
  batchSize: number;
}

export function createFetcherWorkers(deps: FetcherDeps): Worker[] {
  const logger = deps.logger.child({ service: 'fetcher' });
  const worker = createWorker(
    'crawl',
    { 'crawl-page': createCrawlPageHandler({ ...deps, logger }) },
    { connection: deps.connection, prefix: deps.prefix, concurrency: deps.concurrency, lockDurationMs: deps.lockDurationMs ?? 30_000 },
  );
  worker.on('failed', (job, error) =>
    logger.warn({ queue: 'crawl', jobId: job?.id, source: job?.data?.source, attemptsMade: job?.attemptsMade, err: error.message }, 'crawl job failed'),
  );
  return [worker];
}
