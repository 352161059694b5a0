import { createWorker, logWorkerEvents, type RedisClient, type Worker } from '@paperboy/queue';
import type { CrawlDeps } from './crawl/deps.js';
import { createCrawlPageHandler } from './handlers/crawl-page.handler.js';
import { createCrawlSourceHandler } from './handlers/crawl-source.handler.js';
import { createPruneArchiveHandler } from './handlers/prune-archive.handler.js';
import { createReconcileCrawlsHandler } from './handlers/reconcile-crawls.handler.js';

/** The crawl's dependencies (CrawlDeps), and what the worker and the housekeeping jobs add. */
export interface FetcherDeps extends CrawlDeps {
  connection: RedisClient;
  prefix: string;
  concurrency: number;
  lockDurationMs?: number;
  archiveRetentionDays: number;
  /** Batches enqueued this long ago and not stored are re-enqueued by reconcile-crawls (default 15 minutes). */
  reconcileGraceMs?: number;
  /** A crawl still `running` this long after it began is closed as interrupted by reconcile-crawls. */
  staleCrawlMs?: number;
  /** Tells which failures are a Postgres outage: those jobs are put back without spending an attempt. */
  hold?: (error: unknown) => Promise<boolean>;
}

export function createFetcherWorkers(deps: FetcherDeps): Worker[] {
  const logger = deps.logger.child({ service: 'fetcher' });
  const worker = createWorker(
    'crawl',
    {
      'crawl-source': createCrawlSourceHandler({ ...deps, logger }),
      'crawl-page': createCrawlPageHandler({ ...deps, logger }),
      'prune-archive': createPruneArchiveHandler({ db: deps.db, logger, retentionDays: deps.archiveRetentionDays }),
      'reconcile-crawls': createReconcileCrawlsHandler({
        ...deps,
        logger,
        graceMs: deps.reconcileGraceMs ?? 15 * 60_000,
      }),
    },
    {
      connection: deps.connection,
      prefix: deps.prefix,
      concurrency: deps.concurrency,
      lockDurationMs: deps.lockDurationMs ?? 30_000,
      ...(deps.hold ? { hold: deps.hold } : {}),
    },
  );
  return [logWorkerEvents(worker, logger)];
}
