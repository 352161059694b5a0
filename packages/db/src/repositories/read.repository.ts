import { type CompiledQuery, type InferResult, type Kysely, sql } from 'kysely';
import { jsonArrayFrom } from 'kysely/helpers/postgres';
import { queryPrepared } from '../connection.js';
import type { Database } from '../schema.js';
import { paperGrowth24hSql, TRENDING_SCORE_SQL } from './digest.repository.js';
import { distinctSources } from './distinct-sources.js';
import { arrayOf, isoMillis, paperHeadline, TOPICS_SQL } from './expressions.js';
import type { PaperDetails } from './paper.repository.js';

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

export interface ListedPaper extends PaperDetailFields {
  /** The paper's row id (papers.id): not shown by the read API; feeds read the rest of a listed paper by it. */
  id: number;
  arxivId: string | null;
  title: string;
  authors: string[];
  upvotes: number | null;
  topics: string[];
  sources: string[];
  firstSeenAt: string;
  lastSeenAt: string;
  score: number;
  /** The stored link (`papers.url`): what the read API's `links` are made from (paperLinks), not shown as such. */
  url: string | null;
}

/**
 * What the sources give beyond the listing (migration 0020), as the read API and exports show it:
 * the current value of each, null (or empty) when no source gave it.
 */
export interface PaperDetailFields extends PaperDetails {
  latestVersion: number | null;
}

/** The detail fields in the order the read API and exports write them, after the fields a paper always had. */
export const PAPER_DETAIL_FIELDS = [
  'codeUrl',
  'codeStars',
  'projectPage',
  'aiSummary',
  'aiKeywords',
  'organization',
  'submittedBy',
  'thumbnail',
  'mediaUrls',
  'primaryCategory',
  'arxivComments',
  'journalRef',
  'doi',
  'license',
  'latestVersion',
] as const satisfies ReadonlyArray<keyof PaperDetailFields>;

/** A paper's detail fields alone, in PAPER_DETAIL_FIELDS' order (the order the API and exports write them). */
export function paperDetailsOf(paper: PaperDetailFields): PaperDetailFields {
  return Object.fromEntries(PAPER_DETAIL_FIELDS.map((f) => [f, paper[f]])) as unknown as PaperDetailFields;
}

/** The detail columns of `papers as p`, named as PaperDetailFields. */
export const paperDetailColumns = [
  'p.code_url as codeUrl',
  'p.code_stars as codeStars',
  'p.project_page as projectPage',
  'p.ai_summary as aiSummary',
  'p.ai_keywords as aiKeywords',
  'p.organization',
  'p.submitted_by as submittedBy',
  'p.thumbnail',
  'p.media_urls as mediaUrls',
  'p.primary_category as primaryCategory',
  'p.arxiv_comments as arxivComments',
  'p.journal_ref as journalRef',
  'p.doi',
  'p.license',
  'p.latest_version as latestVersion',
] as const;

/** paperDetailColumns as SQL text, for the raw list query. */
const DETAIL_COLUMNS_SQL = paperDetailColumns
  .map((c) => {
    const [column, alias] = c.split(' as ') as [string, string | undefined];
    return alias ? `${column} AS "${alias}"` : column;
  })
  .join(', ');

export class CursorError extends Error {}

/**
 * The trending order, time-independent: trend_key = ln(score) + ln 2 × epoch(first_seen)/48 h
 * (SQL function trending_key, migration 0017), so the score is trending_score_from_key(trend_key).
 * It is what dashboard_cache.trending stores and indexes (migration 0006): the trending list reads
 * those precomputed rows, best first, and stops after a page, instead of scoring every paper per request.
 */
const SCORE_FROM_TREND_KEY_SQL = 'trending_score_from_key(c.trend_key)';
/** Papers leave the precomputed trending rows 8 days after they were last seen (migration 0006). */
const TRENDING_WINDOW_SQL = `c.last_seen_at > now() - interval '8 days'`;

const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** The newest list's keys: first_seen_at to the microsecond, as listPapers writes them. */
const INSTANT = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;
// Year 0000 is a valid JavaScript date but not a Postgres one (there is no year 0 there).
const validInstant = (text: string) =>
  INSTANT.test(text) && !text.startsWith('0000') && new Date(text).toISOString().slice(0, 23) === text.slice(0, 23);

/**
 * A cursor's position, checked to the type Postgres will cast it to: a hand-made cursor is a
 * CursorError (a 400), never a failed cast (a 500).
 */
function decode(cursor: string, sort: PaperFilter['sort']): { k: number | string; id: number } {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as {
      s?: string;
      k?: unknown;
      id?: unknown;
    };
    if (value.s !== sort || !Number.isSafeInteger(value.id) || (value.id as number) < 0) throw new Error();
    const k = value.k;
    const valid =
      sort === 'new'
        ? typeof k === 'string' && validInstant(k)
        : (typeof k === 'number' && Number.isFinite(k)) || k === '-Infinity';
    if (!valid) throw new Error();
    return { k: k as number | string, id: value.id as number };
  } catch {
    throw new CursorError('cursor: not a cursor of this listing (get one from nextCursor, with the same sort)');
  }
}

/** Reads for the read API: filters, full-text search and keyset pages over papers. */
export class ReadRepository {
  /** `searchWalkRows`, `searchFewMatches`: SEARCH_WALK_ROWS and SEARCH_FEW_MATCHES unless a test reaches every branch on small data. */
  constructor(
    private readonly db: Kysely<Database>,
    private readonly options: { searchWalkRows?: number; searchFewMatches?: number } = {},
  ) {}

  async listPapers(filter: PaperFilter): Promise<{ papers: ListedPaper[]; nextCursor: string | null }> {
    const rows = await this.pageRows(filter);
    const page = rows.slice(0, filter.limit);
    const last = page[page.length - 1];
    // -Infinity (a paper without upvotes) has no JSON number: the cursor carries it as text.
    const key = (k: number | string) => (typeof k === 'number' && !Number.isFinite(k) ? '-Infinity' : k);
    const nextCursor =
      rows.length > filter.limit && last ? encode({ s: filter.sort, k: key(last.key), id: last.id }) : null;
    return { papers: page.map(({ key: _key, ...paper }) => paper), nextCursor };
  }

  /**
   * A page's rows (limit + 1 when more follow). Without a search, one walk of the list's order.
   * A search cannot let the planner walk the order to the end: a word nobody wrote would test
   * every paper (3 to 6 s at 1,000,000 papers), and the planner cannot foresee it (its estimate
   * for a word its statistics do not list is 0.5 % of the rows). So it first walks at most
   * SEARCH_WALK_ROWS rows after the cursor (a common term fills its page within a few hundred:
   * one query, as without a search); only when those hold less than a page and more rows follow
   * does it count the term's matches in the GIN index, up to SEARCH_FEW_MATCHES + 1: when they are
   * no more, it sorts them; else (a common term made rare by the other filters) it walks the order
   * on, as without the bound (about 50 ms for `q=mechanistic circuits&topic=vision`, where sorting
   * its 61,485 matches took 1.1 s). Each is a query of its own, so each is planned for what it does.
   */
  private async pageRows(filter: PaperFilter) {
    if (!filter.q) return (await listPapersQuery(filter).execute(this.db)).rows;
    const walkRows = this.options.searchWalkRows ?? SEARCH_WALK_ROWS;
    const walked = (await listPapersQuery(filter, { walk: walkRows }).execute(this.db)).rows;
    if (walked.length > filter.limit) return walked;
    // Less than a page: the answer when the walk reached the end of the list.
    const [rest] = (await remainingRowsQuery(filter, walkRows).execute(this.db)).rows;
    if (rest!.rows < walkRows) return walked;
    // A term with few matches in all: sort those. One with many (rare here only with the other
    // filters, or only among these rows): the order walked on, as without the bound.
    const fewMatches = this.options.searchFewMatches ?? SEARCH_FEW_MATCHES;
    const [matches] = (await matchCountQuery(filter.q, fewMatches).execute(this.db)).rows;
    if (matches!.matches > fewMatches) return (await listPapersQuery(filter).execute(this.db)).rows;
    return (await listPapersQuery(filter, 'matches').execute(this.db)).rows;
  }

  /**
   * Whether `source` is a source id the papers filter knows: one papers were stored under (what a
   * paper's `sources` lists) or one that has crawled (what /api/sources lists). Index look-ups only.
   */
  async isKnownSource(source: string): Promise<boolean> {
    const row = await this.db
      .selectNoFrom((eb) =>
        eb
          .or([
            eb.exists(eb.selectFrom('paper_aliases').select(eb.lit(1).as('one')).where('source', '=', source)),
            eb.exists(eb.selectFrom('crawls').select(eb.lit(1).as('one')).where('source', '=', source)),
          ])
          .as('known'),
      )
      .executeTakeFirst();
    return Boolean(row?.known);
  }

  /** Every source id `isKnownSource` accepts, sorted. */
  async knownSources(): Promise<string[]> {
    const [stored, crawled] = await Promise.all([
      distinctSources(this.db, 'paper_aliases'),
      distinctSources(this.db, 'crawls'),
    ]);
    return [...new Set([...stored, ...crawled])].sort();
  }

  /**
   * One paper with its topics, sources and every sighting, in one round trip. Run for every
   * `/api/papers/:id` request with the same text, so as a named prepared statement (queryPrepared):
   * compiled here once, parsed and planned once per connection, and each request sends only the id.
   */
  async paperWithHistory(arxivId: string) {
    if (!this.#paperQuery) this.#paperQuery = paperWithHistoryQuery(this.db).compile();
    const query = this.#paperQuery;
    const values = query.parameters.map((value) => (value === ARXIV_ID_SLOT ? arxivId : value));
    const [row] = await queryPrepared<InferResult<ReturnType<typeof paperWithHistoryQuery>>[number]>(this.db, {
      name: 'paperboy_paper_with_history',
      text: query.sql,
      values,
    });
    if (!row) return null;
    const { id: _id, ...rest } = row;
    return rest;
  }

  #paperQuery: CompiledQuery | undefined;

  /**
   * Papers per best topic (labels first), from the precomputed dashboard rows: the same counts as
   * dashboard.papers_per_topic_day, as of its last refresh, without reading every paper.
   */
  async topicCounts(): Promise<Array<{ id: string; papers: number }>> {
    const rows = await this.db
      .selectFrom('dashboard.papers_per_topic_day')
      .select((eb) => ['topic_id as id', eb.cast<number>(eb.fn.sum('papers'), 'integer').as('papers')])
      .where('topic_id', 'is not', null)
      .groupBy('topic_id')
      .orderBy('topic_id')
      .execute();
    return rows.map((r) => ({ id: r.id!, papers: r.papers }));
  }
}

/** Stands for the arXiv id in the compiled paper query (never an arXiv id: it holds a NUL). */
const ARXIV_ID_SLOT = '\u0000arxivId';

/** The query of ReadRepository.paperWithHistory, for the id ARXIV_ID_SLOT (a value replaced at run time). */
function paperWithHistoryQuery(db: Kysely<Database>) {
  return db
    .selectFrom('papers as p')
    .select((eb) => [
      ...paperHeadline,
      'p.upvotes',
      'p.url',
      ...paperDetailColumns,
      // Raw: the topics rule, SQL text shared with listPapers.
      sql<string[]>`(${sql.raw(TOPICS_SQL)})`.as('topics'),
      arrayOf(
        eb
          .selectFrom('paper_aliases as a')
          .select('a.source')
          .distinct()
          .whereRef('a.paper_id', '=', 'p.id')
          .orderBy('a.source'),
      ).as('sources'),
      isoMillis('p.first_seen_at').as('firstSeenAt'),
      isoMillis('p.last_seen_at').as('lastSeenAt'),
      // Its sightings in the same round trip (one query per request under load, not two).
      jsonArrayFrom(
        eb
          .selectFrom('sightings as s')
          .select([
            's.source',
            's.listing',
            isoMillis('s.seen_at').as('seenAt'),
            's.rank',
            's.upvotes',
            's.comments',
            's.stars',
          ])
          .whereRef('s.paper_id', '=', 'p.id')
          .orderBy('s.seen_at')
          .orderBy('s.source')
          .orderBy('s.listing'),
      ).as('sightings'),
      // Each arXiv version seen (migration 0020), oldest first.
      jsonArrayFrom(
        eb
          .selectFrom('paper_versions as v')
          .select(['v.version', isoMillis('v.first_seen_at').as('firstSeenAt'), 'v.source'])
          .whereRef('v.paper_id', '=', 'p.id')
          .orderBy('v.version'),
      ).as('versions'),
    ])
    .where('p.arxiv_id', '=', ARXIV_ID_SLOT);
}

/**
 * A search first walks this many rows of the list's order (after the cursor) testing each; when
 * they hold a full page of matches (or are the rest of the list), that is the page. Else the term
 * is rare there, and the page is chosen among the matches the GIN index finds.
 */
export const SEARCH_WALK_ROWS = 5000;

/** A search whose term has at most this many matches sorts them rather than walk the order on. */
export const SEARCH_FEW_MATCHES = 1000;

/** How many papers the term matches, counting up to `atMost` + 1 (the GIN index). */
export function matchCountQuery(q: string, atMost: number) {
  return sql<{ matches: number }>`SELECT count(*)::int AS matches FROM (
    SELECT 1 FROM papers h WHERE h.search_document @@ websearch_to_tsquery('english', ${q}) LIMIT ${atMost + 1}) m`;
}

/** Where a page's rows come from: the list's order (walked to the end if need be), its first `walk` rows, or a search's GIN matches. */
export type PageSource = 'order' | { walk: number } | 'matches';

/** The keyset condition of a cursor on papers p (newest) or the trending rows c. */
function afterCursor(filter: PaperFilter) {
  const after = filter.cursor ? decode(filter.cursor, filter.sort) : null;
  if (filter.sort === 'new')
    return after ? sql`(p.first_seen_at, p.id) < (${after.k}::timestamptz, ${after.id})` : sql`true`;
  return sql`${sql.raw(TRENDING_WINDOW_SQL)}
      ${after ? sql`AND c.trend_key <= ${after.k}::float8 AND (c.trend_key < ${after.k}::float8 OR c.paper_id > ${after.id})` : sql``}`;
}

/** How many rows of the list follow the cursor, counting up to `walkRows` (an index-only count). */
export function remainingRowsQuery(filter: PaperFilter, walkRows: number) {
  const rows =
    filter.sort === 'new'
      ? sql`SELECT 1 FROM papers p WHERE ${afterCursor(filter)} ORDER BY p.first_seen_at DESC, p.id DESC LIMIT ${walkRows}`
      : sql`SELECT 1 FROM dashboard_cache.trending c WHERE ${afterCursor(filter)} ORDER BY c.trend_key DESC, c.paper_id LIMIT ${walkRows}`;
  return sql<{ rows: number }>`SELECT count(*)::int AS rows FROM (${rows}) r`;
}

/**
 * The query of ReadRepository.listPapers (exported for the test of its plan). Trending reads the
 * precomputed rows (as of the last dashboard refresh, papers seen in the last 8 days) in index
 * order; newest reads papers in the order of the index papers_first_seen_id. Either way the
 * per-paper work (topics, sources) is done for one page of rows, not for every paper. `source`:
 * for a search, its first `walk` rows of the order only, or its GIN matches (listPapers).
 */
export function listPapersQuery(filter: PaperFilter, source: PageSource = 'order') {
  const cursor = afterCursor(filter);
  // Trending filters `since` on the precomputed row's last sighting (as of the refresh, like its
  // order): a filter on papers would tempt the planner away from the trending_order index.
  const filters = sql`
    ${
      filter.topic
        ? // Scalar subqueries (one primary-key probe per row walked), not EXISTS: the planner
          // would hash every paper of the topic first (55,556 ids, 26 ms at 1,000,000 papers)
          // to test a page's few hundred rows (773 probes, 2 ms).
          sql`AND (COALESCE((SELECT true FROM paper_labels l WHERE l.paper_id = p.id AND l.topic_id = ${filter.topic}), false)
          OR (NOT COALESCE((SELECT true FROM paper_labels l WHERE l.paper_id = p.id LIMIT 1), false)
              AND COALESCE((SELECT true FROM paper_topics t WHERE t.paper_id = p.id AND t.topic_id = ${filter.topic}), false)))`
        : sql``
    }
    ${filter.source ? sql`AND EXISTS (SELECT 1 FROM paper_aliases a WHERE a.paper_id = p.id AND a.source = ${filter.source})` : sql``}
    ${filter.since ? sql`AND ${filter.sort === 'new' ? sql`p.last_seen_at` : sql`c.last_seen_at`} >= ${filter.since}` : sql``}
    ${
      !filter.q
        ? sql``
        : source === 'matches'
          ? sql`AND p.id IN (SELECT id FROM matches)`
          : sql`AND p.search_document @@ websearch_to_tsquery('english', ${filter.q})`
    }`;
  const walk = typeof source === 'object' ? source.walk : null;
  const matches =
    filter.q && source === 'matches'
      ? sql`WITH matches AS MATERIALIZED (
          SELECT h.id FROM papers h WHERE h.search_document @@ websearch_to_tsquery('english', ${filter.q}))`
      : sql``;
  const columns = sql`p.id, p.arxiv_id AS "arxivId", p.title, p.authors, p.upvotes, p.url, ${sql.raw(DETAIL_COLUMNS_SQL)},
        (${sql.raw(TOPICS_SQL)}) AS topics,
        ARRAY(SELECT DISTINCT a.source FROM paper_aliases a WHERE a.paper_id = p.id ORDER BY a.source) AS sources,
        to_char(p.first_seen_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "firstSeenAt",
        to_char(p.last_seen_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "lastSeenAt"`;
  type Row = ListedPaper & { key: number | string };
  // Raw: keyset pages over row values, optional EXISTS filters and full-text search, and correlated
  // arrays per row; the score and growth are SQL text shared with the digests.
  if (filter.sort === 'new') {
    // A walk: the first `walk` rows of the order after the cursor, as rows of papers p.
    const from =
      walk === null
        ? sql`papers p`
        : // Only the columns the cursor and the filters read.
          sql`(SELECT p.id, p.first_seen_at, p.last_seen_at, p.search_document FROM papers p
            WHERE ${cursor} ORDER BY p.first_seen_at DESC, p.id DESC LIMIT ${walk}) p`;
    // The page's ids first, then the score's growth (sightings of the last 24 h) for those rows
    // only: never for every match a search sorts.
    return sql<Row>`${matches}
      SELECT ${columns}, (${sql.raw(TRENDING_SCORE_SQL)})::float8 AS score,
        to_char(p.first_seen_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS key
      FROM (
        SELECT p.id, p.first_seen_at FROM ${from}
        WHERE ${cursor} ${filters}
        ORDER BY p.first_seen_at DESC, p.id DESC
        LIMIT ${filter.limit + 1}
      ) top
      JOIN papers p ON p.id = top.id
      LEFT JOIN LATERAL (${sql.raw(paperGrowth24hSql('p'))}) g ON true
      ORDER BY top.first_seen_at DESC, top.id DESC`;
  }
  const from =
    walk === null
      ? sql`dashboard_cache.trending c`
      : sql`(SELECT c.* FROM dashboard_cache.trending c WHERE ${cursor} ORDER BY c.trend_key DESC, c.paper_id LIMIT ${walk}) c`;
  // The index trending_order is (trend_key DESC, paper_id): ties go by ascending paper id.
  return sql<Row>`${matches}
    SELECT ${columns}, (${sql.raw(SCORE_FROM_TREND_KEY_SQL)})::float8 AS score, c.trend_key AS key
    FROM ${from} JOIN papers p ON p.id = c.paper_id
    WHERE ${cursor} ${filters}
    ORDER BY c.trend_key DESC, c.paper_id
    LIMIT ${filter.limit + 1}`;
}
