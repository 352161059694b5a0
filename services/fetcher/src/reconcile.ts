import { CrawlRepository, type Db } from '@paperboy/db';
import type { Logger } from '@paperboy/logger';
import type { Metrics } from '@paperboy/metrics';
import type { Queues } from '@paperboy/queue';
import type { SourcesFile } from '@paperboy/sources-file';
import { extractArchived, ingestBatches } from './crawl/index.js';

export interface ReconcileDeps {
  db: Db;
  queues: Queues;
  logger: Logger;
  /** For a configured source's adapter and options; `ingest` pages need none. */
  sources?: SourcesFile;
  metrics?: Metrics;
}

export interface ReconcileResult {
  /** Pages (crawls) found with batches enqueued but not stored. */
  pages: number;
  /** Batches added to the queue again, rebuilt from the archived body. */
  reenqueued: number;
  /** Batches whose job had failed for good, retried. */
  retried: number;
  /** Batches still in the queue (waiting, delayed, active): left alone. */
  queued: number;
  /** The ingest jobs added or retried, for a caller that waits for them. */
  jobIds: string[];
  errors: Array<{ url: string; error: string }>;
}

/**
 * Finds pages whose ingest batches were enqueued more than `graceMs` ago and are not all stored
 * (Redis lost them, or they failed for good), and puts the missing ones back: rebuilt from the
 * archived body with the chunking and job ids of the original crawl, so a batch still in the
 * queue is not added twice, and storing is idempotent anyway. Run by the `reconcile-crawls` job
 * (periodically) and by `paperboy ingest` for its own pages.
 */
export async function reconcileStrandedBatches(
  deps: ReconcileDeps,
  options: { graceMs: number; url?: string },
): Promise<ReconcileResult> {
  const crawls = new CrawlRepository(deps.db);
  const result: ReconcileResult = { pages: 0, reenqueued: 0, retried: 0, queued: 0, jobIds: [], errors: [] };
  const stranded = await crawls.strandedFetches({
    graceMs: options.graceMs,
    ...(options.url !== undefined ? { url: options.url } : {}),
  });
  const unstored = new Map<string, number>();
  const queue = deps.queues.get('ingest');
  for (const page of stranded) {
    result.pages++;
    let jobs: ReturnType<typeof ingestBatches>;
    try {
      const { adapter, extracted } = await extractArchived(page, deps.sources);
      // The original crawl's chunking and job ids: a batch still in the queue makes its add a no-op.
      const origin = {
        source: page.source,
        adapter: adapter.id,
        listing: page.url,
        fetchId: page.fetchId,
        crawlId: page.crawlId,
        seenAt: new Date(page.fetchedAt),
        contentHash: page.contentHash,
      };
      jobs = ingestBatches(origin, extracted.entries, page.batchSize);
    } catch (error) {
      result.errors.push({ url: page.url, error: (error as Error).message });
      deps.logger.error(
        { url: page.url, crawlId: page.crawlId, err: (error as Error).message },
        'stranded batches: archived page not readable',
      );
      continue;
    }
    const stored = new Set(page.storedChunks);
    const missing = jobs.filter((job) => !stored.has(job.data.chunk));
    unstored.set(page.source, (unstored.get(page.source) ?? 0) + missing.length);
    const fresh = [];
    let retried = 0;
    for (const job of missing) {
      const existing = await queue.getJob(job.jobId);
      if (!existing) fresh.push(job);
      else if ((await existing.getState()) === 'failed') {
        await existing.retry('failed');
        retried++;
        result.jobIds.push(job.jobId);
      } else result.queued++;
    }
    await deps.queues.addBulk('ingest-entries', fresh);
    result.reenqueued += fresh.length;
    result.retried += retried;
    result.jobIds.push(...fresh.map((j) => j.jobId));
    if (fresh.length + retried === 0) continue; // all still queued: a backlog, not a loss
    deps.metrics?.batchesReenqueued.inc({ source: page.source }, fresh.length + retried);
    deps.logger.warn(
      { url: page.url, crawlId: page.crawlId, missing: missing.length, reenqueued: fresh.length, retried },
      'batches enqueued but never stored: re-enqueued from the archive',
    );
  }
  if (deps.metrics && options.url === undefined) {
    deps.metrics.batchesUnstored.reset();
    for (const [source, n] of unstored) deps.metrics.batchesUnstored.set({ source }, n);
  }
  return result;
}
