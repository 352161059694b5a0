import { closeInterruptedCrawls } from '@paperboy/db';
import { jobLogger, type Logger } from '@paperboy/logger';
import type { Job } from '@paperboy/queue';
import { type ReconcileDeps, reconcileStrandedBatches } from '../reconcile.js';

/**
 * reconcile-crawls: puts back, from the archive, ingest batches enqueued more than the grace period
 * ago and never stored; and closes as failed (interrupted) the crawls left `running` longer than
 * `staleCrawlMs` by a process that died (a fetcher restarted at once would not close them itself:
 * it closes only those already stale when it starts).
 */
export function createReconcileCrawlsHandler(
  deps: ReconcileDeps & { graceMs: number; staleCrawlMs?: number; logger: Logger },
) {
  return async (_payload: Record<string, never>, job: Job) => {
    const log = jobLogger(deps.logger, job);
    if (deps.staleCrawlMs !== undefined) {
      const closed = await closeInterruptedCrawls(deps.db, deps.staleCrawlMs);
      if (closed)
        log.warn(
          { closed, olderThanMs: deps.staleCrawlMs },
          'closed crawls left running by a stopped process as failed (interrupted)',
        );
    }
    const result = await reconcileStrandedBatches({ ...deps, logger: log }, { graceMs: deps.graceMs });
    const { jobIds: _ids, ...summary } = result;
    if (result.pages) log.info(summary, 'stranded batches reconciled');
    // A page whose archived body cannot be read is retried with the job, and stays visible in health meanwhile.
    if (result.errors.length)
      throw new Error(
        `stranded batches of ${result.errors.length} page(s) not re-enqueued: ${result.errors[0]!.url}: ${result.errors[0]!.error}`,
      );
    return summary;
  };
}
