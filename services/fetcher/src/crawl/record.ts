import {
  appendEventsByType,
  type CrawlFinish,
  CrawlRepository,
  type Db,
  EventStateRepository,
  type FetchFacts,
  sourceHealthOf,
} from '@paperboy/db';
import type { Logger } from '@paperboy/logger';
import { countEmittedEvents, type Metrics } from '@paperboy/metrics';
import { type EventSourceHealth, outboxEvent } from '@paperboy/pipeline';
import type { Job } from '@paperboy/queue';

/**
 * The health a finished crawl announces for its source (source.health_changed): ok, quiet and
 * unchanged crawls are healthy, a suspect one suspect, a failed or disallowed one failing; a
 * crawl that will be retried announces nothing. The mapping of sourceHealthOf, the one health rule.
 */
export function announcedHealth(finish: CrawlFinish): { health: EventSourceHealth; reason: string | null } | null {
  const { health, reason } = sourceHealthOf({
    outcome: finish.outcome,
    suspect: finish.suspect,
    suspectReason: finish.suspectReason,
    error: finish.error ?? (finish.status ? `HTTP ${finish.status}` : null),
  });
  if (health === 'suspect' || health === 'failing') return { health, reason };
  if (health === 'retrying' || health === 'never crawled') return null;
  return { health: 'healthy', reason: null };
}

/** The crawl a recorder writes: its row, its adapter, its job (for the attempts spent) and its page. */
export interface RecordedCrawl {
  crawlId: number;
  /** The source crawled: its health is announced when a crawl changes it. */
  source: string;
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
    private readonly db: Db,
    private readonly crawl: RecordedCrawl,
    private readonly metrics?: Metrics,
  ) {
    this.crawls = new CrawlRepository(db);
  }

  /**
   * Records the outcome, and the fetch when there was one; returns the fetch's id (null without one).
   * When the outcome changes the source's announced health, the outcome, the new health and its
   * source.health_changed event are written in one transaction. The first crawl of a source
   * announces only a source that is not healthy (from null); a healthy one is noted silently.
   */
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
    const facts = fetch && { ...fetch, adapter: this.crawl.adapter };
    const announced = announcedHealth(finish);
    const state = new EventStateRepository(this.db);
    // Most crawls leave the health as it was: one read, then the one-statement record, no transaction.
    if (!announced || (await state.sourceHealth(this.crawl.source)) === announced.health)
      return this.crawls.recordOutcome(this.crawl.crawlId, finish, facts);
    const { fetchId, events } = await this.db.transaction().execute(async (trx) => {
      const fetchId = await new CrawlRepository(trx).recordOutcome(this.crawl.crawlId, finish, facts);
      const health = new EventStateRepository(trx);
      const from = await health.sourceHealth(this.crawl.source, { lock: true });
      if (from === announced.health) return { fetchId, events: {} };
      await health.setSourceHealth(this.crawl.source, announced.health, announced.reason);
      if (from === null && announced.health === 'healthy') return { fetchId, events: {} };
      const events = await appendEventsByType(trx, [
        outboxEvent(
          'source.health_changed',
          {
            source: this.crawl.source,
            from: from as EventSourceHealth | null,
            to: announced.health,
            reason: announced.reason,
            crawlId: this.crawl.crawlId,
          },
          { source: this.crawl.source },
        ),
      ]);
      return { fetchId, events };
    });
    countEmittedEvents(this.metrics, events);
    return fetchId;
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
