import { type Kysely, sql } from 'kysely';
import type { Database } from '../schema.js';
import type { ArchivedPage } from './archive.repository.js';
import type { FetchFacts } from './page-fetch.repository.js';

export type CrawlOutcome =
  | 'running'
  | 'ok'
  | 'quiet'
  | 'not-modified'
  | 'unchanged'
  | 'retrying'
  | 'failed'
  | 'disallowed';

/** A crawl's outcome: the fields of its row that say how it ended (a fetch recorded with it shares them). */
export interface CrawlFinish {
  status: number | null;
  outcome: Exclude<CrawlOutcome, 'running'>;
  entries: number | null;
  batches: number | null;
  error: string | null;
  warnings: string[];
  suspect: boolean;
  suspectReason: string | null;
}

/**
 * The columns every closing of a crawl sets (the recorder's and the closing of interrupted crawls):
 * finished now, its outcome and error, one more error when there is one, its duration since it began.
 */
export const closeCrawlColumns = (outcome: Exclude<CrawlOutcome, 'running'>, error: string | null) => sql`
  finished_at = now(), outcome = ${outcome}, error = ${error}, errors = errors + ${error ? 1 : 0},
  duration_ms = (extract(epoch FROM now() - started_at) * 1000)::int`;

const finishColumns = (finish: CrawlFinish) => sql`
  ${closeCrawlColumns(finish.outcome, finish.error)}, status = ${finish.status}, entries = ${finish.entries},
  batches = ${finish.batches}, warnings = ${finish.warnings}::text[], suspect = ${finish.suspect}, suspect_reason = ${finish.suspectReason}`;

/** How far back the reconciler and source health look for batches enqueued but never stored. */
export const STRANDED_LOOKBACK_DAYS = 7;

/**
 * Fetches whose batches were enqueued between `graceSeconds` and `lookbackDays` ago: the window in
 * which the reconciler (and source health) look for batches never stored. One definition for both.
 */
const enqueuedInWindow = (graceSeconds: number, lookbackDays: number) => sql`
  f.batch_size IS NOT NULL AND f.entries > 0 AND f.crawl_id IS NOT NULL AND f.error IS NULL
  AND f.enqueued_at <= now() - make_interval(secs => ${graceSeconds})
  AND f.enqueued_at > now() - make_interval(days => ${lookbackDays})`;

/** Batches of fetch `f` not stored: the chunks its entries make, less the batches recorded for its crawl. */
const missingBatches = sql`ceil(f.entries::numeric / f.batch_size) - (SELECT count(*) FROM crawl_batches cb WHERE cb.crawl_id = f.crawl_id)`;

export interface StrandedFetch extends ArchivedPage {
  crawlId: number;
  batchSize: number;
  entries: number;
  storedChunks: number[];
}

export interface SourceHealthRow {
  source: string;
  lastCrawlAt: string | null;
  lastOutcome: string | null;
  lastStatus: number | null;
  lastEntries: number | null;
  lastSuccessAt: string | null;
  lastSuspect: boolean;
  lastSuspectReason: string | null;
  lastError: string | null;
  crawls24h: number;
  failures24h: number;
  new24h: number;
  /** Batches enqueued more than the grace period ago (in the last 7 days) and not stored: lost, failed or still queued. */
  unstoredBatches: number;
}

/**
 * A source's health from its last finished crawl: the one rule `paperboy sources`, the dashboard
 * page and anything else that shows health go by. `reason` says why, where there is a why.
 */
export function sourceHealthOf(
  last: { outcome: string | null; suspect: boolean; suspectReason: string | null; error: string | null } | undefined,
): {
  health: 'never crawled' | 'suspect' | 'failing' | 'quiet' | 'unchanged' | 'retrying' | 'ok';
  reason: string | null;
} {
  if (!last || last.outcome === null) return { health: 'never crawled', reason: null };
  if (last.suspect) return { health: 'suspect', reason: last.suspectReason };
  if (last.outcome === 'failed' || last.outcome === 'disallowed') return { health: 'failing', reason: last.error };
  if (last.outcome === 'quiet') return { health: 'quiet', reason: null };
  if (last.outcome === 'not-modified' || last.outcome === 'unchanged') return { health: 'unchanged', reason: null };
  if (last.outcome === 'retrying') return { health: 'retrying', reason: last.error };
  return { health: 'ok', reason: null };
}

/** `sourceHealthOf` for a row of `CrawlRepository.sourceHealth` (undefined: never crawled). */
export const healthOfSourceRow = (row: SourceHealthRow | undefined) =>
  sourceHealthOf(
    row && {
      outcome: row.lastOutcome,
      suspect: row.lastSuspect,
      suspectReason: row.lastSuspectReason,
      error: row.lastError,
    },
  );

/** Crawls of sources and what they found: the record source health is computed from. */
export class CrawlRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /**
   * Starts the crawl of one page (or, given the id its job carries, resumes it on a retry), and
   * reads what the last fetch of that URL whose batches were safely enqueued knew (for a
   * conditional GET and the "unchanged" check), in one round trip. The crawl's identity is its row
   * id, issued here by Postgres: `jobKey` (from BullMQ, whose ids restart when Redis is emptied) is
   * only recorded. An id whose row is gone starts a new crawl.
   */
  async beginCrawl(crawl: {
    source: string;
    url: string;
    trigger: string;
    jobKey: string;
    crawlId?: number | undefined;
  }): Promise<{
    id: number;
    resumed: boolean;
    lastContentHash: string | null;
    lastEtag: string | null;
    lastModified: string | null;
  }> {
    const { rows } = await sql<{
      id: number;
      resumed: boolean;
      lastContentHash: string | null;
      lastEtag: string | null;
      lastModified: string | null;
    }>`
      WITH resumed AS (
        UPDATE crawls SET outcome = 'running' WHERE id = ${crawl.crawlId ?? null} AND url = ${crawl.url} RETURNING id
      ), started AS (
        INSERT INTO crawls (source, url, trigger, job_key, started_at)
        SELECT ${crawl.source}, ${crawl.url}, ${crawl.trigger}, ${crawl.jobKey}, now() WHERE NOT EXISTS (SELECT 1 FROM resumed)
        RETURNING id
      ), crawl AS (
        SELECT id, true AS resumed FROM resumed UNION ALL SELECT id, false FROM started
      )
      SELECT crawl.id, crawl.resumed, f.content_hash AS "lastContentHash", f.etag AS "lastEtag", f.last_modified AS "lastModified"
      FROM crawl LEFT JOIN LATERAL (
        SELECT content_hash, etag, last_modified FROM page_fetches
        WHERE url = ${crawl.url} AND error IS NULL AND NOT not_modified AND content_hash IS NOT NULL AND enqueued_at IS NOT NULL
        ORDER BY fetched_at DESC LIMIT 1
      ) f ON true`.execute(this.db);
    return rows[0]!;
  }

  /** Deletes a crawl just begun that its job could not be told about (it will begin another). */
  async forgetCrawl(id: number): Promise<void> {
    await sql`DELETE FROM crawls WHERE id = ${id} AND NOT EXISTS (SELECT 1 FROM page_fetches WHERE crawl_id = ${id})`.execute(
      this.db,
    );
  }

  /** The fetch's batches are in the queue: from now on its ETag and content hash count as seen. */
  async markEnqueued(fetchId: number): Promise<void> {
    await sql`UPDATE page_fetches SET enqueued_at = now() WHERE id = ${fetchId} AND enqueued_at IS NULL`.execute(
      this.db,
    );
  }

  /**
   * Fetches whose batches were enqueued more than `graceMs` ago (and within `lookbackDays`) but
   * not all stored: the batches a lost Redis or a failed job left behind. The latest enqueued
   * fetch of each crawl, with its archived body and the chunks already stored; oldest first.
   */
  async strandedFetches(options: {
    graceMs: number;
    lookbackDays?: number;
    url?: string;
    limit?: number;
  }): Promise<StrandedFetch[]> {
    const { rows } = await sql<StrandedFetch>`
      SELECT * FROM (
        SELECT DISTINCT ON (f.crawl_id) f.id AS "fetchId", f.crawl_id AS "crawlId", f.source, f.adapter, f.url, f.final_url AS "finalUrl",
          f.fetched_at AS "fetchedAt", f.content_hash AS "contentHash", b.content_type AS "contentType", b.encoding, b.body,
          f.batch_size AS "batchSize", f.entries,
          coalesce((SELECT array_agg(cb.chunk ORDER BY cb.chunk) FROM crawl_batches cb WHERE cb.crawl_id = f.crawl_id), '{}') AS "storedChunks"
        FROM page_fetches f JOIN page_bodies b ON b.content_hash = f.content_hash
        WHERE ${enqueuedInWindow(options.graceMs / 1000, options.lookbackDays ?? STRANDED_LOOKBACK_DAYS)}
          AND (${options.url ?? null}::text IS NULL OR f.url = ${options.url ?? null})
          AND ${missingBatches} > 0
        ORDER BY f.crawl_id, f.enqueued_at DESC
      ) s ORDER BY "fetchedAt" LIMIT ${options.limit ?? 500}`.execute(this.db);
    return rows;
  }

  /**
   * The one record of a crawl's outcome. With `fetch`, the page fetch is recorded in the same
   * statement: its source and URL are the crawl's, its status, entries, warnings and error the
   * outcome's (one value for both tables), and its id is returned; without, null.
   */
  async recordOutcome(id: number, finish: CrawlFinish, fetch?: FetchFacts): Promise<number | null> {
    if (!fetch) {
      await sql`UPDATE crawls SET ${finishColumns(finish)} WHERE id = ${id}`.execute(this.db);
      return null;
    }
    const { rows } = await sql<{ fetchId: number }>`
      WITH fetched AS (
        INSERT INTO page_fetches (source, url, final_url, status, bytes, content_hash, content_type, fetched_at, duration_ms,
                                  entries, warnings, error, adapter, etag, last_modified, not_modified, crawl_id, batch_size, enqueued_at)
        SELECT c.source, c.url, ${fetch.finalUrl}, ${finish.status}, ${fetch.bytes}, ${fetch.contentHash}, ${fetch.contentType},
               ${fetch.fetchedAt}, ${fetch.durationMs}, ${finish.entries}, ${finish.warnings}::text[], ${finish.error}, ${fetch.adapter},
               ${fetch.etag ?? null}, ${fetch.lastModified ?? null}, ${fetch.notModified ?? false}, c.id, ${fetch.batchSize ?? null},
               CASE WHEN ${fetch.enqueued ?? true} THEN now() END
        FROM crawls c WHERE c.id = ${id}
        RETURNING id
      ), finished AS (
        UPDATE crawls SET ${finishColumns(finish)} WHERE id = ${id}
      )
      SELECT id AS "fetchId" FROM fetched`.execute(this.db);
    return rows[0]?.fetchId ?? null;
  }

  /** Entries found by this source's recent successful crawls that found any (newest first): its normal. */
  async recentEntryCounts(source: string, limit = 10): Promise<number[]> {
    const { rows } = await sql<{ entries: number }>`
      SELECT entries FROM crawls WHERE source = ${source} AND outcome = 'ok' AND entries > 0
      ORDER BY started_at DESC LIMIT ${limit}`.execute(this.db);
    return rows.map((r) => r.entries);
  }

  /** What an ingest batch of a crawl stored; a retried batch counts once. */
  async recordBatch(
    crawlId: number,
    chunk: number,
    counts: { new: number; updated: number; merged: number; rejected: number },
  ): Promise<void> {
    await sql`
      INSERT INTO crawl_batches (crawl_id, chunk, new, updated, merged, rejected)
      VALUES (${crawlId}, ${chunk}, ${counts.new}, ${counts.updated}, ${counts.merged}, ${counts.rejected})
      ON CONFLICT (crawl_id, chunk) DO NOTHING`.execute(this.db);
  }

  async crawlTotals(crawlId: number) {
    const { rows } = await sql<{ new: number; updated: number; merged: number; rejected: number; batches: number }>`
      SELECT coalesce(sum(new), 0)::int AS new, coalesce(sum(updated), 0)::int AS updated, coalesce(sum(merged), 0)::int AS merged,
             coalesce(sum(rejected), 0)::int AS rejected, count(*)::int AS batches
      FROM crawl_batches WHERE crawl_id = ${crawlId}`.execute(this.db);
    return rows[0]!;
  }

  /**
   * The latest crawl of each source, its latest success, the last day's counts and its batches
   * enqueued more than `unstoredGraceMs` ago (default 15 minutes) but not stored.
   */
  async sourceHealth(options: { unstoredGraceMs?: number } = {}): Promise<SourceHealthRow[]> {
    const grace = (options.unstoredGraceMs ?? 15 * 60_000) / 1000;
    const { rows } = await sql<SourceHealthRow>`
      WITH latest AS (
        SELECT DISTINCT ON (source) * FROM crawls WHERE outcome <> 'running' ORDER BY source, started_at DESC
      )
      SELECT l.source,
        to_char(l.started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS "lastCrawlAt",
        l.outcome AS "lastOutcome", l.status AS "lastStatus", l.entries AS "lastEntries",
        (SELECT to_char(max(c.started_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') FROM crawls c
          WHERE c.source = l.source AND c.outcome IN ('ok', 'quiet', 'not-modified', 'unchanged') AND NOT c.suspect) AS "lastSuccessAt",
        l.suspect AS "lastSuspect", l.suspect_reason AS "lastSuspectReason", l.error AS "lastError",
        (SELECT count(*)::int FROM crawls c WHERE c.source = l.source AND c.started_at > now() - interval '1 day') AS "crawls24h",
        (SELECT count(*)::int FROM crawls c WHERE c.source = l.source AND c.started_at > now() - interval '1 day' AND c.outcome = 'failed') AS "failures24h",
        (SELECT coalesce(sum(b.new), 0)::int FROM crawl_batches b JOIN crawls c ON c.id = b.crawl_id
          WHERE c.source = l.source AND c.started_at > now() - interval '1 day') AS "new24h",
        (SELECT coalesce(sum(greatest(${missingBatches}, 0)), 0)::int
          FROM (SELECT DISTINCT ON (f.crawl_id) f.* FROM page_fetches f
                WHERE f.source = l.source AND ${enqueuedInWindow(grace, STRANDED_LOOKBACK_DAYS)}
                ORDER BY f.crawl_id, f.enqueued_at DESC) f) AS "unstoredBatches"
      FROM latest l ORDER BY l.source`.execute(this.db);
    return rows;
  }
}
