import { type CrawlFinish, CrawlRepository, type Db, type FetchFacts } from '@paperboy/db';
import type { Logger } from '@paperboy/logger';
import type { Job } from '@paperboy/queue';

/** The crawl a recorder writes: its row, its adapter, its job (for the attempts spent) and its page. */
export interface RecordedCrawl {
  crawlId: number;
  adapter: string;
  url: string;
  job: Pick<Job, 'attemptsMade' | 'opts'>;
  log: Logger;
}

/** An outcome as a stage states it: what it does not name is empty (no status, entries, error, not suspect). */
export type OutcomeRecord = Pick<CrawlFinish, 'outcome'> & Partial<CrawlFinish>;

/**
 * The one writer of a crawl's outcome (its row's outcome, status, counts, error, warnings,
 * verdict and duration), and of the page fetch recorded with it. Every stage that ends a crawl, or
 * records an attempt of it, goes through `record`.
 */
export class CrawlRecorder {
  /** How we were polite (a capped Crawl-delay): on every record of the crawl, never a reason to suspect the page. */
  readonly politeWarnings: string[] = [];
  private readonly crawls: CrawlRepository;

  constructor(
    db: Db,
    private readonly crawl: RecordedCrawl,
  ) {
    this.crawls = new CrawlRepository(db);
  }

  /** Records the outcome, and the fetch when there was one; returns the fetch's id (null without one). */
  async record(outcome: OutcomeRecord, fetch?: Omit<FetchFacts, 'adapter'>): Promise<number | null> {
    const finish: CrawlFinish = {
      status: null,
      entries: null,
      batches: null,
      error: null,
      warnings: this.politeWarnings,
      suspect: false,
      suspectReason: null,
      ...outcome,
    };
    return this.crawls.recordOutcome(this.crawl.crawlId, finish, fetch && { ...fetch, adapter: this.crawl.adapter });
  }

  /** The fetch's batches are in the queue: from now on its ETag and content hash count as seen. */
  async markEnqueued(fetchId: number): Promise<void> {
    await this.crawls.markEnqueued(fetchId);
  }

  /**
   * The page was not fetched (its request failed, or robots.txt could not be read): recorded as a
   * failed fetch, `retrying` unless this was its last attempt. Attempts spent count this one,
   * BullMQ's attemptsMade (those before it) and the page's throttles, this one included when it
   * is a throttle. Returns whether this was the last attempt.
   */
  async notFetched(
    message: string,
    o: { retry: boolean; throttled: number; throttledNow?: boolean; status?: number | null; started?: number },
  ): Promise<boolean> {
    const { job, log, url } = this.crawl;
    const spent = job.attemptsMade + o.throttled + (o.throttledNow ? 0 : 1);
    const finalAttempt = !o.retry || spent >= (job.opts.attempts ?? 1);
    const status = o.status ?? null;
    const started = o.started ?? Date.now();
    const fetchedAt = new Date(started);
    const fetch = {
      finalUrl: null,
      bytes: null,
      contentHash: null,
      contentType: null,
      fetchedAt,
      durationMs: Date.now() - started,
    };
    await this.record({ status, outcome: finalAttempt ? 'failed' : 'retrying', error: message }, fetch);
    log.warn({ url, status, err: message, attempt: job.attemptsMade + 1 }, 'page not fetched');
    return finalAttempt;
  }
}
