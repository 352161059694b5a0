import { type Db, type EnrichKind, EnrichmentRepository } from '@paperboy/db';
import { jobLogger, type Logger } from '@paperboy/logger';
import { contentJobId, type Job, type Queues } from '@paperboy/queue';

export interface EnrichDueDeps {
  db: Db;
  logger: Logger;
  queues: Queues;
  kinds: readonly EnrichKind[];
  /** Details older than this are fetched again for papers still trending (PAPERBOY_ENRICH_REFRESH_DAYS). */
  refreshDays: number;
  /** A paper enqueued this long ago and still due is enqueued again (its job was lost). Default 15 minutes. */
  graceMs?: number;
  /** Papers claimed per sweep and kind. Default 2,000. */
  maxPerSweep?: number;
}

/** Papers per job: the arXiv API takes up to 100 ids a request; the paper API one, so a job asks about a few. */
export const PAPERS_PER_JOB: Record<EnrichKind, number> = { arxiv: 100, hf: 10 };

export interface EnrichDueResult {
  refreshed: Record<EnrichKind, number>;
  enqueued: Record<EnrichKind, number>;
  jobs: number;
}

/**
 * enrich-due: for each kind switched on, marks the refreshes due (papers seen in the last two days
 * whose details are older than `refreshDays`), then claims due papers (new ones, refreshes, and
 * those whose job was enqueued more than the grace period ago and never finished: a lost Redis)
 * and enqueues them as enrich-papers jobs. A kind switched off is neither refreshed nor enqueued.
 *
 * A claim is stamped in Postgres before its job is added: a crash between the two leaves the
 * papers due, and the sweep after the grace period claims them again. Never loses work; a paper
 * may at worst be asked about twice, which stores nothing new (idempotent).
 */
export function createEnrichDueHandler(deps: EnrichDueDeps) {
  const repo = new EnrichmentRepository(deps.db);
  return async (_payload: unknown, job: Job): Promise<EnrichDueResult> => {
    const result: EnrichDueResult = { refreshed: { arxiv: 0, hf: 0 }, enqueued: { arxiv: 0, hf: 0 }, jobs: 0 };
    for (const kind of deps.kinds) {
      result.refreshed[kind] = await repo.markRefreshDue(kind, deps.refreshDays);
      const max = deps.maxPerSweep ?? 2000;
      while (result.enqueued[kind] < max) {
        const claimed = await repo.claimDue(
          kind,
          Math.min(500, max - result.enqueued[kind]),
          deps.graceMs ?? 15 * 60_000,
        );
        if (claimed.length === 0) break;
        const jobs = [];
        for (let i = 0; i < claimed.length; i += PAPERS_PER_JOB[kind]) {
          const paperIds = claimed.slice(i, i + PAPERS_PER_JOB[kind]).map((t) => t.paperId);
          jobs.push({ data: { kind, paperIds }, jobId: contentJobId('enrich', kind, ...paperIds, Date.now()) });
        }
        await deps.queues.addBulk('enrich-papers', jobs);
        result.enqueued[kind] += claimed.length;
        result.jobs += jobs.length;
      }
    }
    if (result.jobs > 0) jobLogger(deps.logger, job).info(result, 'enrichment enqueued');
    return result;
  };
}
