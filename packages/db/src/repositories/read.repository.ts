import { sql, type Kysely } from 'kysely';
import type { Database } from '../schema.js';
import { distinctSources } from './distinct-sources.js';
import { TRENDING_SCORE_SQL } from './digest.repository.js';

export interface PaperFilter {
  topic?: string;
  source?: string;
  since?: Date;
  q?: string;
  sort: 'new' | 'trending';
  limit: number;
  /** Opaque cursor from the previous page. */
  cursor?: string;
}

export interface ListedPaper {
  arxivId: string | null;
  title: string;
  authors: string[];
  upvotes: number | null;
  topics: string[];
  sources: string[];
  firstSeenAt: string;
  lastSeenAt: string;
  score: number;
}

export class CursorError extends Error {}

/**
 * The trending order in a form that does not drift with time: score = base × 0.5^(age/48 h), so
 * ln(score) = ln(base) + first_seen/48 h × ln 2 − now/48 h × ln 2, and the last term is the same
 * for every paper. Paging on the first two terms keeps a cursor valid as the clock moves.
 */
const TRENDING_KEY_SQL = `ln((ln(1 + coalesce(p.upvotes, 0)) + ln(1 + greatest(coalesce(g.growth, 0), 0))) + 1e-12)
  + extract(epoch FROM p.first_seen_at) / 172800 * ln(2)`;

/** A paper's topics as everywhere in paperboy: its manual labels when it has any (by id), else its computed topics, best first. */
const TOPICS_SQL = `CASE WHEN EXISTS (SELECT 1 FROM paper_labels l WHERE l.paper_id = p.id)
    THEN ARRAY(SELECT l.topic_id FROM paper_labels l WHERE l.paper_id = p.id ORDER BY l.topic_id)
    ELSE ARRAY(SELECT t.topic_id FROM paper_topics t WHERE t.paper_id = p.id ORDER BY t.position) END`;

const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

function decode(cursor: string, sort: PaperFilter['sort']): { k: number | string; id: number } {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { s?: string; k?: unknown; id?: unknown };
    if (value.s !== sort || typeof value.id !== 'number' || (typeof value.k !== 'number' && typeof value.k !== 'string')) throw new Error();
    return { k: value.k, id: value.id };
  } catch {
    throw new CursorError('cursor: not a cursor of this listing (get one from nextCursor, with the same sort)');
  }
}

/** Reads for the read API: filters, full-text search and keyset pages over papers. */
export class ReadRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async listPapers(filter: PaperFilter): Promise<{ papers: ListedPaper[]; nextCursor: string | null }> {
    const after = filter.cursor ? decode(filter.cursor, filter.sort) : null;
    const key = filter.sort === 'new' ? sql`p.first_seen_at` : sql.raw(TRENDING_KEY_SQL);
    const keyAfter = after ? (filter.sort === 'new' ? sql`${after.k}::timestamptz` : sql`${after.k}::float8`) : null;
    const { rows } = await sql<ListedPaper & { id: number; key: string | number }>`
      SELECT * FROM (
        SELECT p.id, p.arxiv_id AS "arxivId", p.title, p.authors, p.upvotes,
          (${sql.raw(TOPICS_SQL)}) AS topics,
          ARRAY(SELECT DISTINCT a.source FROM paper_aliases a WHERE a.paper_id = p.id ORDER BY a.source) AS sources,
          to_char(p.first_seen_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "firstSeenAt",
          to_char(p.last_seen_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "lastSeenAt",
          (${sql.raw(TRENDING_SCORE_SQL)})::float8 AS score,
          ${filter.sort === 'new' ? sql`to_char(p.first_seen_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')` : sql`(${key})::float8`} AS key,
          ${key} AS sort_key
        FROM papers p
        LEFT JOIN LATERAL (
          SELECT max(s.upvotes) - min(s.upvotes) AS growth FROM sightings s WHERE s.paper_id = p.id AND s.seen_at > now() - interval '24 hours'
        ) g ON true
        WHERE true
          ${filter.topic ? sql`AND (EXISTS (SELECT 1 FROM paper_labels l WHERE l.paper_id = p.id AND l.topic_id = ${filter.topic})
                OR (NOT EXISTS (SELECT 1 FROM paper_labels l WHERE l.paper_id = p.id)
                    AND EXISTS (SELECT 1 FROM paper_topics t WHERE t.paper_id = p.id AND t.topic_id = ${filter.topic})))` : sql``}
          ${filter.source ? sql`AND EXISTS (SELECT 1 FROM paper_aliases a WHERE a.paper_id = p.id AND a.source = ${filter.source})` : sql``}
          ${filter.since ? sql`AND p.last_seen_at >= ${filter.since}` : sql``}
          ${filter.q ? sql`AND to_tsvector('english', p.title || ' ' || coalesce(p.abstract, '')) @@ websearch_to_tsquery('english', ${filter.q})` : sql``}
      ) x
      WHERE ${keyAfter ? sql`(x.sort_key, x.id) < (${keyAfter}, ${after!.id})` : sql`true`}
      ORDER BY x.sort_key DESC, x.id DESC
      LIMIT ${filter.limit + 1}`.execute(this.db);
    const page = rows.slice(0, filter.limit);
    const last = page[page.length - 1];
    const nextCursor = rows.length > filter.limit && last ? encode({ s: filter.sort, k: last.key, id: last.id }) : null;
    return { papers: page.map(({ id: _id, key: _key, sort_key: _s, ...paper }: ListedPaper & { id: number; key: unknown; sort_key?: unknown }) => paper), nextCursor };
  }

  /**
   * Whether `source` is a source id the papers filter knows: one papers were stored under (what a
   * paper's `sources` lists) or one that has crawled (what /api/sources lists). Index look-ups only.
   */
  async isKnownSource(source: string): Promise<boolean> {
    const { rows } = await sql<{ known: boolean }>`
      SELECT EXISTS (SELECT 1 FROM paper_aliases WHERE source = ${source})
          OR EXISTS (SELECT 1 FROM crawls WHERE source = ${source}) AS known`.execute(this.db);
    return rows[0]?.known ?? false;
  }

  /** Every source id `isKnownSource` accepts, sorted. */
  async knownSources(): Promise<string[]> {
    const [stored, crawled] = await Promise.all([distinctSources(this.db, 'paper_aliases'), distinctSources(this.db, 'crawls')]);
    return [...new Set([...stored, ...crawled])].sort();
  }

  async paperWithHistory(arxivId: string) {
    const paper = await sql<ListedPaper & { id: number; abstract: string | null }>`
      SELECT p.id, p.arxiv_id AS "arxivId", p.title, p.abstract, p.authors, p.upvotes,
        (${sql.raw(TOPICS_SQL)}) AS topics,
        ARRAY(SELECT DISTINCT a.source FROM paper_aliases a WHERE a.paper_id = p.id ORDER BY a.source) AS sources,
        to_char(p.first_seen_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "firstSeenAt",
        to_char(p.last_seen_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "lastSeenAt"
      FROM papers p WHERE p.arxiv_id = ${arxivId}`.execute(this.db);
    const row = paper.rows[0];
    if (!row) return null;
    const history = await sql<{ source: string; listing: string; seenAt: string; rank: number; upvotes: number | null; comments: number | null }>`
      SELECT source, listing, to_char(seen_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "seenAt", rank, upvotes, comments
      FROM sightings WHERE paper_id = ${row.id} ORDER BY seen_at, source, listing`.execute(this.db);
    const { id: _id, ...rest } = row;
    return { ...rest, sightings: history.rows };
  }

  /**
   * Papers per best topic (labels first), from the precomputed dashboard rows: the same counts as
   * dashboard.papers_per_topic_day, as of its last refresh, without reading every paper.
   */
  async topicCounts(): Promise<Array<{ id: string; papers: number }>> {
    const { rows } = await sql<{ id: string; papers: number }>`
      SELECT topic_id AS id, sum(papers)::int AS papers FROM dashboard.papers_per_topic_day
      WHERE topic_id IS NOT NULL GROUP BY topic_id ORDER BY topic_id`.execute(this.db);
    return rows;
  }
}
