import { type Compilable, CompiledQuery, type ExpressionBuilder, type Kysely, sql } from 'kysely';
import type { Database } from '../schema.js';
import type { ArchivedPage } from './archive.repository.js';
import { now } from './expressions.js';
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
export const closeCrawlColumns =
  (outcome: Exclude<CrawlOutcome, 'running'>, error: string | null) => (eb: ExpressionBuilder<Database, 'crawls'>) => ({
    finished_at: now,
    outcome,
    error,
    errors: eb('errors', '+', error ? 1 : 0),
    // Raw: interval arithmetic (milliseconds since the crawl began).
    duration_ms: sql<number>`(extract(epoch FROM now() - started_at) * 1000)::int`,
  });

/** A text[] parameter (node-postgres sends a JS array as an untyped literal). */
// Raw: a cast of a parameter to text[], which eb.cast cannot give an array type.
const textArray = (values: string[]) => sql<string[]>`${values}::text[]`;

/** The columns of a crawl's row its outcome sets: the closing columns and what the crawl found. */
const finishColumns = (finish: CrawlFinish) => (eb: ExpressionBuilder<Database, 'crawls'>) => ({
  ...closeCrawlColumns(finish.outcome, finish.error)(eb),
  status: finish.status,
  entries: finish.entries,
  batches: finish.batches,
  warnings: textArray(finish.warnings),
  suspect: finish.suspect,
  suspect_reason: finish.suspectReason,
});

/** How far back the reconciler and source health look for batches enqueued but never stored. */
export const STRANDED_LOOKBACK_DAYS = 7;

/**
 * Fetches whose batches were enqueued between `graceSeconds` and `lookbackDays` ago: the window in
 * which the reconciler (and source health) look for batches never stored. One definition for both.
 */
// Raw: interval arithmetic, a fragment of the raw strandedFetches and sourceHealth.
const enqueuedInWindow = (graceSeconds: number, lookbackDays: number) => sql`
  f.batch_size IS NOT NULL AND f.entries > 0 AND f.crawl_id IS NOT NULL AND f.error IS NULL
  AND f.enqueued_at <= now() - make_interval(secs => ${graceSeconds})
  AND f.enqueued_at > now() - make_interval(days => ${lookbackDays})`;

/** Batches of fetch `f` not stored: the chunks its entries make, less the batches recorded for its crawl. */
// Raw: a correlated count in arithmetic, a fragment of the raw strandedFetches and sourceHealth.
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

/**
 * `sourceHealthOf` for a row of `CrawlRepository.sourceHealth` (undefined: never crawled). A crawl
 * that recorded no error text gives its HTTP status as the reason.
 */
export const healthOfSourceRow = (row: SourceHealthRow | undefined) =>
  sourceHealthOf(
    row && {
      outcome: row.lastOutcome,
      suspect: row.lastSuspect,
      suspectReason: row.lastSuspectReason,
      error: row.lastError ?? (row.lastStatus ? `HTTP ${row.lastStatus}` : null),
    },
  );

/** Crawls of sources and what they found: the record source health is computed from. */
/** The values of an outcome recorded with its fetch, each a parameter of the compiled statement. */
export type OutcomeSlot =
  | 'id'
  | 'finalUrl'
  | 'status'
  | 'bytes'
  | 'contentHash'
  | 'contentType'
  | 'fetchedAt'
  | 'durationMs'
  | 'entries'
  | 'batches'
  | 'warnings'
  | 'error'
  | 'errorCount'
  | 'adapter'
  | 'etag'
  | 'lastModified'
  | 'notModified'
  | 'batchSize'
  | 'outcome'
  | 'suspect'
  | 'suspectReason';

/** A named stand-in for a value, found again among a compiled query's parameters. */
export class Slot {
  constructor(readonly name: OutcomeSlot) {}
}

/**
 * A query's SQL and, for each of its parameters, the slot that fills it: the query is built once
 * with slots for values, then run with each call's values in their places. Throws if a parameter
 * is not a slot (a constant the builder put in would otherwise be replaced silently).
 */
export function compileWithSlots(query: Compilable): { sql: string; slots: OutcomeSlot[] } {
  const compiled = query.compile();
  const slots = compiled.parameters.map((p) => {
    if (!(p instanceof Slot)) throw new Error(`a parameter of the outcome statement is not a slot: ${String(p)}`);
    return p.name;
  });
  return { sql: compiled.sql, slots };
}

/**
 * Begins a crawl or resumes one, and reads the URL's last enqueued fetch, in one round trip. Raw
 * (and written once, not built per call): data-modifying CTEs read back with a lateral look-up.
 * $1 crawl id (a job from before migration 0019), $2 url, $3 source, $4 trigger, $5 job key,
 * $6 job instance. An insert that meets the instance key resumes that row (ON CONFLICT's update
 * sets xmax) when its URL matches; else no row comes back.
 */
const BEGIN_CRAWL = `
  WITH resumed AS (
    UPDATE crawls SET outcome = 'running' WHERE id = $1 AND url = $2 RETURNING id
  ), started AS (
    INSERT INTO crawls AS c (source, url, trigger, job_key, job_instance, started_at)
    SELECT $3, $2, $4, $5, $6, now() WHERE NOT EXISTS (SELECT 1 FROM resumed)
    ON CONFLICT (job_instance) DO UPDATE SET outcome = 'running' WHERE c.url = excluded.url
    RETURNING id, xmax <> 0 AS resumed
  ), crawl AS (
    SELECT id, true AS resumed FROM resumed UNION ALL SELECT id, resumed FROM started
  )
  SELECT crawl.id, crawl.resumed, f.content_hash AS "lastContentHash", f.etag AS "lastEtag", f.last_modified AS "lastModified"
  FROM crawl LEFT JOIN LATERAL (
    SELECT content_hash, etag, last_modified FROM page_fetches
    WHERE url = $2 AND error IS NULL AND NOT not_modified AND content_hash IS NOT NULL AND enqueued_at IS NOT NULL
    ORDER BY fetched_at DESC LIMIT 1
  ) f ON true`;

const recordStatements = new Map<boolean, { sql: string; slots: OutcomeSlot[] }>();

export class CrawlRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /**
   * Starts the crawl of one page, or resumes it on a retry, and reads what the last fetch of that
   * URL whose batches were safely enqueued knew (for a conditional GET and the "unchanged" check),
   * in one round trip. The crawl's identity is its row id, issued here by Postgres; a retry finds
   * the row by `jobInstance` (queue, job id and the job's creation time: unique even though BullMQ's
   * job ids restart when Redis is emptied), or by `crawlId` for a job enqueued before that key
   * existed (its first attempt wrote the id onto it). `jobKey` is only recorded. A row found under
   * `jobInstance` for another URL (never expected: the key would have repeated) is not taken: the
   * crawl starts a row of its own, without the key.
   */
  async beginCrawl(crawl: {
    source: string;
    url: string;
    trigger: string;
    jobKey: string;
    jobInstance: string;
    crawlId?: number | undefined;
  }): Promise<{
    id: number;
    resumed: boolean;
    lastContentHash: string | null;
    lastEtag: string | null;
    lastModified: string | null;
  }> {
    const begun = await this.beginOrResume(crawl, crawl.jobInstance);
    return begun ?? (await this.beginOrResume(crawl, null))!;
  }

  private async beginOrResume(
    crawl: { source: string; url: string; trigger: string; jobKey: string; crawlId?: number | undefined },
    jobInstance: string | null,
  ) {
    const { rows } = await this.db.executeQuery<{
      id: number;
      resumed: boolean;
      lastContentHash: string | null;
      lastEtag: string | null;
      lastModified: string | null;
    }>(
      CompiledQuery.raw(BEGIN_CRAWL, [
        crawl.crawlId ?? null,
        crawl.url,
        crawl.source,
        crawl.trigger,
        crawl.jobKey,
        jobInstance,
      ]),
    );
    return rows[0];
  }

  /** The fetch's batches are in the queue: from now on its ETag and content hash count as seen. */
  async markEnqueued(fetchId: number): Promise<void> {
    await this.db
      .updateTable('page_fetches')
      .set({ enqueued_at: now })
      .where('id', '=', fetchId)
      .where('enqueued_at', 'is', null)
      .execute();
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
    // Raw: DISTINCT ON under an outer order, a correlated array_agg and the window fragments shared with sourceHealth.
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
      await this.db.updateTable('crawls').set(finishColumns(finish)).where('id', '=', id).execute();
      return null;
    }
    const enqueued = fetch.enqueued ?? true;
    const values: Record<OutcomeSlot, unknown> = {
      id,
      finalUrl: fetch.finalUrl,
      status: finish.status,
      bytes: fetch.bytes,
      contentHash: fetch.contentHash,
      contentType: fetch.contentType,
      fetchedAt: fetch.fetchedAt,
      durationMs: fetch.durationMs,
      entries: finish.entries,
      batches: finish.batches,
      warnings: finish.warnings,
      error: finish.error,
      adapter: fetch.adapter,
      etag: fetch.etag ?? null,
      lastModified: fetch.lastModified ?? null,
      notModified: fetch.notModified ?? false,
      batchSize: fetch.batchSize ?? null,
      outcome: finish.outcome,
      errorCount: finish.error ? 1 : 0,
      suspect: finish.suspect,
      suspectReason: finish.suspectReason,
    };
    // Built and compiled once per shape (the builder cost more CPU than the round trip on a 304).
    let statement = recordStatements.get(enqueued);
    if (!statement) {
      statement = compileWithSlots(this.recordOutcomeQuery(enqueued));
      recordStatements.set(enqueued, statement);
    }
    const query = CompiledQuery.raw(
      statement.sql,
      statement.slots.map((slot) => values[slot]),
    );
    const { rows } = await this.db.executeQuery<{ fetchId: number }>(query);
    return rows[0]?.fetchId ?? null;
  }

  /** The outcome and its fetch in one statement, every value a slot (see compileWithSlots). */
  private recordOutcomeQuery(enqueued: boolean) {
    const v = (name: OutcomeSlot) => new Slot(name) as never;
    const finish = {
      status: v('status'),
      outcome: v('outcome'),
      entries: v('entries'),
      batches: null,
      error: v('error'),
      warnings: v('warnings'),
      suspect: v('suspect'),
      suspectReason: v('suspectReason'),
    } as CrawlFinish;
    const id = v('id');
    return this.db
      .with('fetched', (db) =>
        db
          .insertInto('page_fetches')
          .columns([
            'source',
            'url',
            'final_url',
            'status',
            'bytes',
            'content_hash',
            'content_type',
            'fetched_at',
            'duration_ms',
            'entries',
            'warnings',
            'error',
            'adapter',
            'etag',
            'last_modified',
            'not_modified',
            'crawl_id',
            'batch_size',
            'enqueued_at',
          ])
          .expression(
            db
              .selectFrom('crawls as c')
              .select((eb) => [
                'c.source',
                'c.url',
                eb.val(v('finalUrl')).as('final_url'),
                eb.val(v('status')).as('status'),
                eb.val(v('bytes')).as('bytes'),
                eb.val(v('contentHash')).as('content_hash'),
                eb.val(v('contentType')).as('content_type'),
                eb.val(v('fetchedAt')).as('fetched_at'),
                eb.val(v('durationMs')).as('duration_ms'),
                eb.val(v('entries')).as('entries'),
                textArray(v('warnings')).as('warnings'),
                eb.val(v('error')).as('error'),
                eb.val(v('adapter')).as('adapter'),
                eb.val(v('etag')).as('etag'),
                eb.val(v('lastModified')).as('last_modified'),
                eb.val(v('notModified')).as('not_modified'),
                'c.id',
                eb.val(v('batchSize')).as('batch_size'),
                // Raw: a typed null, so that the column's type is known in INSERT … SELECT.
                (enqueued ? now : sql<Date | null>`NULL::timestamptz`).as('enqueued_at'),
              ])
              .where('c.id', '=', id),
          )
          .returning('id'),
      )
      .with('finished', (db) =>
        db
          .updateTable('crawls')
          .set((eb) => ({
            ...finishColumns(finish)(eb),
            batches: v('batches'),
            errors: eb('errors', '+', v('errorCount')),
          }))
          .where('id', '=', id)
          .returning('id'),
      )
      .selectFrom('fetched')
      .select('id as fetchId');
  }

  /** Entries found by this source's recent successful crawls that found any (newest first): its normal. */
  async recentEntryCounts(source: string, limit = 10): Promise<number[]> {
    const rows = await this.db
      .selectFrom('crawls')
      .select('entries')
      .where('source', '=', source)
      .where('outcome', '=', 'ok')
      .where('entries', '>', 0)
      .orderBy('started_at', 'desc')
      .limit(limit)
      .execute();
    return rows.map((r) => r.entries!);
  }

  /** What an ingest batch of a crawl stored; a retried batch counts once. */
  async recordBatch(
    crawlId: number,
    chunk: number,
    counts: { new: number; updated: number; merged: number; rejected: number },
  ): Promise<void> {
    await this.db
      .insertInto('crawl_batches')
      .values({
        crawl_id: crawlId,
        chunk,
        new: counts.new,
        updated: counts.updated,
        merged: counts.merged,
        rejected: counts.rejected,
      })
      .onConflict((oc) => oc.columns(['crawl_id', 'chunk']).doNothing())
      .execute();
  }

  async crawlTotals(crawlId: number) {
    const total = (
      eb: ExpressionBuilder<Database, 'crawl_batches'>,
      column: 'new' | 'updated' | 'merged' | 'rejected',
    ) => eb.cast<number>(eb.fn.coalesce(eb.fn.sum(column), eb.lit(0)), 'integer').as(column);
    return this.db
      .selectFrom('crawl_batches')
      .select((eb) => [
        total(eb, 'new'),
        total(eb, 'updated'),
        total(eb, 'merged'),
        total(eb, 'rejected'),
        eb.cast<number>(eb.fn.countAll(), 'integer').as('batches'),
      ])
      .where('crawl_id', '=', crawlId)
      .executeTakeFirstOrThrow();
  }

  /**
   * The latest crawl of each source, its latest success, the last day's counts and its batches
   * enqueued more than `unstoredGraceMs` ago (default 15 minutes) but not stored.
   */
  async sourceHealth(options: { unstoredGraceMs?: number } = {}): Promise<SourceHealthRow[]> {
    const grace = (options.unstoredGraceMs ?? 15 * 60_000) / 1000;
    // Raw: a dozen correlated aggregates per source, to_char timestamps and the fragments shared with strandedFetches.
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
