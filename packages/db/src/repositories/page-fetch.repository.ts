import { sql, type Kysely } from 'kysely';
import type { Database } from '../schema.js';

export interface PageFetchRecord {
  source: string;
  url: string;
  finalUrl: string | null;
  status: number | null;
  bytes: number | null;
  contentHash: string | null;
  contentType: string | null;
  fetchedAt: Date;
  durationMs: number;
  entries: number | null;
  warnings: string[];
  error: string | null;
  adapter?: string | null;
  etag?: string | null;
  lastModified?: string | null;
  notModified?: boolean;
  crawlId?: number | null;
  /** Entries per ingest batch, when the fetch's entries were batched (the reconciler rebuilds chunks with it). */
  batchSize?: number | null;
  /**
   * Whether whatever this fetch hands on is already safe (default true: nothing to enqueue). A fetch
   * with batches to enqueue is recorded with false and marked enqueued once they are in the queue:
   * until then its ETag and content hash are not used to skip the page.
   */
  enqueued?: boolean;
}

export interface LastGoodFetch {
  contentHash: string | null;
  etag: string | null;
  lastModified: string | null;
}

/** Every page the fetcher tried, with what it got: the audit trail of crawling. */
export class PageFetchRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async recordFetch(record: PageFetchRecord): Promise<number> {
    const row = await this.db
      .insertInto('page_fetches')
      .values({
        source: record.source,
        url: record.url,
        final_url: record.finalUrl,
        status: record.status,
        bytes: record.bytes,
        content_hash: record.contentHash,
        content_type: record.contentType,
        fetched_at: record.fetchedAt,
        duration_ms: record.durationMs,
        entries: record.entries,
        warnings: record.warnings,
        error: record.error,
        adapter: record.adapter ?? null,
        etag: record.etag ?? null,
        last_modified: record.lastModified ?? null,
        not_modified: record.notModified ?? false,
        crawl_id: record.crawlId ?? null,
        batch_size: record.batchSize ?? null,
        enqueued_at: record.enqueued === false ? null : new Date(),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  }

  /** What the last successful fetch of a URL knew, for a conditional GET and the unchanged-content check. */
  async lastGoodFetch(url: string): Promise<LastGoodFetch | null> {
    const { rows } = await sql<LastGoodFetch>`
      SELECT content_hash AS "contentHash", etag, last_modified AS "lastModified" FROM page_fetches
      WHERE url = ${url} AND error IS NULL AND NOT not_modified AND content_hash IS NOT NULL AND enqueued_at IS NOT NULL
      ORDER BY fetched_at DESC LIMIT 1`.execute(this.db);
    return rows[0] ?? null;
  }

  async listRecentFetches(limit = 50) {
    return this.db.selectFrom('page_fetches').selectAll().orderBy('id', 'desc').limit(limit).execute();
  }

  async countFetches(): Promise<number> {
    const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM page_fetches`.execute(this.db);
    return rows[0]?.n ?? 0;
  }
}
