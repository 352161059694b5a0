import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';

/**
 * What one fetch of a page got, recorded beside its crawl's outcome (`CrawlRepository.recordOutcome`).
 * A fetch's source and URL are its crawl's, and its status, entries, warnings and error are the
 * crawl's outcome: `page_fetches` repeats them so that the archive and the "last good fetch of
 * this URL" look-up read one table, but they are written from one value.
 */
export interface FetchFacts {
  adapter: string;
  finalUrl: string | null;
  bytes: number | null;
  contentHash: string | null;
  contentType: string | null;
  fetchedAt: Date;
  durationMs: number;
  etag?: string | null;
  lastModified?: string | null;
  notModified?: boolean;
  /** Entries per ingest batch, when the fetch's entries were batched (the reconciler rebuilds chunks with it). */
  batchSize?: number | null;
  /**
   * Whether whatever this fetch hands on is already safe (default true: nothing to enqueue). A fetch
   * with batches to enqueue is recorded with false and marked enqueued once they are in the queue:
   * until then its ETag and content hash are not used to skip the page.
   */
  enqueued?: boolean;
}

/** Every page the fetcher tried, with what it got: the audit trail of crawling. */
export class PageFetchRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async listRecentFetches(limit = 50) {
    return this.db.selectFrom('page_fetches').selectAll().orderBy('id', 'desc').limit(limit).execute();
  }

  async countFetches(): Promise<number> {
    const row = await this.db
      .selectFrom('page_fetches')
      .select((eb) => eb.cast<number>(eb.fn.countAll(), 'integer').as('n'))
      .executeTakeFirst();
    return row?.n ?? 0;
  }
}
