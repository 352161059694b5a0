import { sql, type Kysely } from 'kysely';
import type { Database } from '../schema.js';

export type CrawlOutcome = 'running' | 'ok' | 'quiet' | 'not-modified' | 'unchanged' | 'retrying' | 'failed' | 'disallowed';

export interface CrawlFinish {
  status: number | null;
  outcome: CrawlOutcome;
  entries: number | null;
  batches: number | null;
  error: string | null;
  warnings: string[];
  suspect: boolean;
  suspectReason: string | null;
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
}

/** Crawls of sources and what they found: the record source health is computed from. */
export class CrawlRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async startCrawl(source: string, url: string, trigger: string): Promise<number> {
    const row = await this.db
      .insertInto('crawls')
      .values({ source, url, trigger, started_at: new Date() })
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  }

  async finishCrawl(id: number, finish: CrawlFinish): Promise<void> {
    await sql`
      UPDATE crawls SET finished_at = now(), status = ${finish.status}, outcome = ${finish.outcome}, entries = ${finish.entries},
        batches = ${finish.batches}, error = ${finish.error}, warnings = ${finish.warnings}::text[],
        errors = errors + ${finish.error ? 1 : 0},
        duration_ms = (extract(epoch FROM now() - started_at) * 1000)::int,
        suspect = ${finish.suspect}, suspect_reason = ${finish.suspectReason}
      WHERE id = ${id}`.execute(this.db);
  }

  /** Entries found by this source's recent successful crawls that found any (newest first): its normal. */
  async recentEntryCounts(source: string, limit = 10): Promise<number[]> {
    const { rows } = await sql<{ entries: number }>`
      SELECT entries FROM crawls WHERE source = ${source} AND outcome = 'ok' AND entries > 0
      ORDER BY started_at DESC LIMIT ${limit}`.execute(this.db);
    return rows.map((r) => r.entries);
  }

  /** What an ingest batch of a crawl stored; a retried batch counts once. */
  async recordBatch(crawlId: number, chunk: number, counts: { new: number; updated: number; merged: number; rejected: number }): Promise<void> {
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

  /** The latest crawl of each source, its latest success and the last day's counts. */
  async sourceHealth(): Promise<SourceHealthRow[]> {
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
          WHERE c.source = l.source AND c.started_at > now() - interval '1 day') AS "new24h"
      FROM latest l ORDER BY l.source`.execute(this.db);
    return rows;
  }
}
