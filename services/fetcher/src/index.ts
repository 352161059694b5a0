import type { AppContext } from '@paperboy/runtime/context';
import { createFetcherWorkers } from './fetcher.js';

export { createFetcherWorkers, type FetcherDeps } from './fetcher.js';
export { createCrawlPageHandler } from './handlers/crawl-page.handler.js';

/** Adds the fetcher's workers to a process's lifecycle. */
export function addFetcher(ctx: AppContext): void {
  const { config } = ctx;
  for (const worker of createFetcherWorkers({
    db: ctx.db,
    logger: ctx.logger,
    connection: ctx.workerRedis,
    queues: ctx.queues,
    lockDurationMs: ctx.config.jobLockMs,
    prefix: config.queuePrefix,
    concurrency: config.fetch.concurrency,
    batchSize: config.batchSize,
    fetch: {
      userAgent: config.fetch.userAgent,
      timeoutMs: config.fetch.timeoutMs,
      maxBytes: config.fetch.maxBytes,
      maxRedirects: config.fetch.maxRedirects,
      allowPrivate: config.fetch.allowPrivate,
    },
  })) {
    ctx.lifecycle.addWorker(worker);
  }
}
