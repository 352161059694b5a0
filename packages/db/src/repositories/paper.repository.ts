import { type Kysely, sql, type Transaction } from 'kysely';
import type { Database, Paper } from '../schema.js';
import { TOPICS_SQL } from './expressions.js';

type Executor = Kysely<Database> | Transaction<Database>;

export interface PaperRow {
  id: number;
  arxivId: string | null;
  titleKey: string;
}

export interface NewPaper {
  arxivId: string | null;
  title: string;
  titleKey: string;
  abstract: string | null;
  authors: string[];
  authorKeys: string[];
  categories: string[];
  url: string | null;
  publishedAt: Date | null;
  upvotes: number | null;
  comments: number | null;
  seenAt: Date;
  /** The source of the entry (provenance of the link and counts it gives). */
  source: string;
  /** Where `url` comes from (see @paperboy/pipeline provenance): ranks which link a paper keeps. */
  urlOrigin: 'canonical' | 'arxiv' | 'listing' | null;
  /** Whether the source's counts are canonical; a listing's count only papers without an arXiv id. */
  countsCanonical: boolean;
  /** Code, stars, summary, categories, journal reference, …: the current values when ranked high enough. */
  details?: PaperDetails;
  /** Whether the source's details are canonical (ranked like counts: else only papers without an arXiv id). */
  detailsCanonical?: boolean;
  /** The arXiv version the entry shows (from a canonical source), or null. */
  version?: number | null;
  /**
   * An enrichment's details, not a sighting: the paper's first and last seen times are left as they
   * are (a merge only). Default false.
   */
  detailsOnly?: boolean;
}

/** The detail columns of `papers` and the PaperDetails field each holds. */
const DETAIL_COLUMNS = [
  ['code_url', 'codeUrl', 'text'],
  ['code_stars', 'codeStars', 'int'],
  ['project_page', 'projectPage', 'text'],
  ['ai_summary', 'aiSummary', 'text'],
  ['ai_keywords', 'aiKeywords', 'text[]'],
  ['organization', 'organization', 'text'],
  ['submitted_by', 'submittedBy', 'text'],
  ['thumbnail', 'thumbnail', 'text'],
  ['media_urls', 'mediaUrls', 'text[]'],
  ['primary_category', 'primaryCategory', 'text'],
  ['arxiv_comments', 'arxivComments', 'text'],
  ['journal_ref', 'journalRef', 'text'],
  ['doi', 'doi', 'text'],
  ['license', 'license', 'text'],
] as const satisfies ReadonlyArray<readonly [string, keyof PaperDetails, string]>;

const NO_DETAILS: PaperDetails = {
  codeUrl: null,
  codeStars: null,
  projectPage: null,
  aiSummary: null,
  aiKeywords: [],
  organization: null,
  submittedBy: null,
  thumbnail: null,
  mediaUrls: [],
  primaryCategory: null,
  arxivComments: null,
  journalRef: null,
  doi: null,
  license: null,
};

/** A paper row as json_to_recordset reads it: details flattened, whether it gives any. */
function flatPaper(paper: NewPaper) {
  const details = paper.details ?? NO_DETAILS;
  const hasDetails = DETAIL_COLUMNS.some(([, key]) => {
    const value = details[key];
    return Array.isArray(value) ? value.length > 0 : value !== null;
  });
  const { details: _d, ...rest } = paper;
  return {
    ...rest,
    ...details,
    hasDetails,
    detailsCanonical: paper.detailsCanonical ?? false,
    version: paper.version ?? null,
    // Only when set: an ingest batch's JSON document stays as it was.
    ...(paper.detailsOnly ? { detailsOnly: true } : {}),
  };
}

/** `"codeUrl" text, "codeStars" int, …` for a json_to_recordset column list. */
const DETAIL_RECORD = DETAIL_COLUMNS.map(([, key, type]) => `"${key}" ${type}`).join(', ');
/** Details rank of an entry: canonical 2, a listing's for a paper without an arXiv id 1, else 0 (never taken). */
const ENTRY_DETAILS_RANK = (canonical: string, arxivId: string) =>
  `CASE WHEN ${canonical} THEN 2 WHEN ${arxivId} IS NULL THEN 1 ELSE 0 END`;
const DETAILS_RANK = (origin: string) => `CASE ${origin} WHEN 'canonical' THEN 2 WHEN 'listing' THEN 1 ELSE 0 END`;

/** A fact: one field's value as one source gave it, at one time (paper_facts). */
export interface FactRow {
  paperId: number;
  source: string;
  field: string;
  value: unknown;
  seenAt: Date;
}

/** One arXiv version of a paper, as first seen (paper_versions). */
export interface VersionRow {
  paperId: number;
  version: number;
  source: string;
  seenAt: Date;
}

/** What a source gives beyond the listing (issue 13), as normalized: null or [] when it gives none. */
export interface PaperDetails {
  codeUrl: string | null;
  codeStars: number | null;
  projectPage: string | null;
  aiSummary: string | null;
  aiKeywords: string[];
  organization: string | null;
  submittedBy: string | null;
  thumbnail: string | null;
  mediaUrls: string[];
  primaryCategory: string | null;
  arxivComments: string | null;
  journalRef: string | null;
  doi: string | null;
  license: string | null;
}

export interface PaperUpdate extends NewPaper {
  id: number;
}

/**
 * A stored paper as events see it (@paperboy/pipeline events): the fields whose change is a
 * paper.updated (PAPER_UPDATE_FIELDS, by the same names), its upvotes and first sighting. Taken
 * before and after a write in the writing transaction, so comparing the two says what the write changed.
 */
export interface PaperSnapshot {
  id: number;
  arxivId: string | null;
  title: string;
  abstract: string | null;
  authors: string[];
  url: string | null;
  /** ISO time, or null. */
  publishedAt: string | null;
  categories: string[];
  /** Labels when it has any, else computed topics best first (as everywhere: TOPICS_SQL). */
  topics: string[];
  codeUrl: string | null;
  projectPage: string | null;
  aiSummary: string | null;
  primaryCategory: string | null;
  journalRef: string | null;
  doi: string | null;
  license: string | null;
  latestVersion: number | null;
  upvotes: number | null;
  /** ISO time. */
  firstSeenAt: string;
}

/** What classification reads of a stored paper: its text, categories and primary category (migration 0020). */
export type StoredPaperText = Pick<Paper, 'id' | 'title' | 'abstract' | 'categories'> & {
  primaryCategory: string | null;
};

export interface SightingRow {
  paperId: number;
  source: string;
  listing: string;
  rank: number;
  upvotes: number | null;
  comments: number | null;
  /** The code repository's stars as the entry showed them (a time series, like upvotes). */
  stars?: number | null;
  seenAt: Date;
  fetchId: number | null;
}

export interface TopicRow {
  paperId: number;
  topicId: string;
  score: number;
  position: number;
  evidence: string[];
}

export interface RejectedRow {
  fetchId: number | null;
  source: string;
  listing: string;
  seenAt: Date;
  rank: number;
  reason: string;
  raw: unknown;
}

/**
 * Provenance ranks: a paper's link or counts are replaced only by ones of a higher rank (or, for
 * counts, the same rank and a later observation). Links stored before migration 0008 ('legacy')
 * rank as the arXiv link; counts as a listing's.
 */
const URL_RANK = (origin: string) =>
  `CASE ${origin} WHEN 'canonical' THEN 3 WHEN 'arxiv' THEN 2 WHEN 'legacy' THEN 2 WHEN 'listing' THEN 1 ELSE 0 END`;
const COUNTS_RANK = (origin: string) =>
  `CASE ${origin} WHEN 'canonical' THEN 2 WHEN 'listing' THEN 1 WHEN 'legacy' THEN 1 ELSE 0 END`;
/** A listing's counts are no paper's headline when the paper has an arXiv id: rank 0, never taken. */
const ENTRY_COUNTS_RANK = (canonical: string, arxivId: string) =>
  `CASE WHEN ${canonical} THEN 2 WHEN ${arxivId} IS NULL THEN 1 ELSE 0 END`;

/** Batches travel as one JSON parameter per statement, read with json_to_recordset. */
const json = (value: unknown) => JSON.stringify(value);

/**
 * All SQL that stores an ingest batch: look-ups for dedupe, multi-row writes.
 * Every write is one statement for the whole batch (unnest arrays), never one per row.
 */
export class PaperRepository {
  constructor(private readonly db: Executor) {}

  withTransaction(trx: Transaction<Database>): PaperRepository {
    return new PaperRepository(trx);
  }

  /**
   * Serializes concurrent batches that share a paper: transaction-scoped advisory locks,
   * taken in sorted order so two batches can never deadlock on them.
   */
  async lockDedupeKeys(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    // Raw: advisory locks over an unnest()ed, sorted array (part of the benchmarked batch write).
    await sql`
      SELECT pg_advisory_xact_lock(hashtextextended(k, 7411))
      FROM (SELECT k FROM unnest(${[...keys]}::text[]) AS k ORDER BY k) AS ordered`.execute(this.db);
  }

  /** Serializes the creation of papers without an arXiv id, whose near-duplicate check spans all titles. */
  async lockIdlessPaperCreation(): Promise<void> {
    await sql`SELECT pg_advisory_xact_lock(hashtextextended('paperboy:idless-papers', 7411))`.execute(this.db); // raw: a lock function, no table
  }

  /**
   * The event view of these papers (see PaperSnapshot), in one statement. With `lock`, row locks on
   * papers about to be merged into, always in id order, so two batches cannot deadlock on them, and
   * the snapshot is then exactly what the merge changes.
   */
  async snapshotPapers(
    paperIds: readonly number[],
    options: { lock?: boolean } = {},
  ): Promise<Map<number, PaperSnapshot>> {
    if (paperIds.length === 0) return new Map();
    // Raw: the topics rule (TOPICS_SQL) and ISO text of timestamps, FOR UPDATE OF the paper only.
    const { rows } = await sql<PaperSnapshot>`
      SELECT p.id, p.arxiv_id AS "arxivId", p.title, p.abstract, p.authors, p.url,
        to_char(p.published_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "publishedAt",
        p.categories, (${sql.raw(TOPICS_SQL)}) AS topics, p.code_url AS "codeUrl", p.project_page AS "projectPage",
        p.ai_summary AS "aiSummary", p.primary_category AS "primaryCategory", p.journal_ref AS "journalRef",
        p.doi, p.license, p.latest_version AS "latestVersion", p.upvotes,
        to_char(p.first_seen_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "firstSeenAt"
      FROM papers p WHERE p.id = ANY(${[...paperIds]}::bigint[])
      ORDER BY p.id ${options.lock ? sql`FOR UPDATE OF p` : sql``}`.execute(this.db);
    return new Map(rows.map((row) => [row.id, row]));
  }

  /**
   * The three exact dedupe look-ups of a batch in one round trip: papers by arXiv id, this
   * source's aliases, papers by normalized title. Run after lockDedupeKeys, in its own statement,
   * so that it sees what the batches we waited for committed.
   */
  async findKnown(
    source: string,
    probe: { arxivIds: readonly string[]; externalIds: readonly string[]; titleKeys: readonly string[] },
  ): Promise<{
    byArxivId: PaperRow[];
    aliases: Array<{ externalId: string; paperId: number }>;
    byTitleKey: PaperRow[];
  }> {
    // Raw: three look-ups in one round trip (UNION ALL over array parameters), in the benchmarked ingest path.
    const { rows } = await sql<{
      kind: 'id' | 'alias' | 'title';
      key: string;
      id: number;
      arxivId: string | null;
      titleKey: string | null;
    }>`
      SELECT 'id' AS kind, p.arxiv_id AS key, p.id, p.arxiv_id AS "arxivId", p.title_key AS "titleKey"
        FROM papers p WHERE p.arxiv_id = ANY(${[...probe.arxivIds]}::text[])
      UNION ALL
      SELECT 'alias', a.external_id, a.paper_id, NULL, NULL
        FROM paper_aliases a WHERE a.source = ${source} AND a.external_id = ANY(${[...probe.externalIds]}::text[])
      UNION ALL
      SELECT 'title', p.title_key, p.id, p.arxiv_id, p.title_key
        FROM papers p WHERE p.title_key = ANY(${[...probe.titleKeys]}::text[])`.execute(this.db);
    const paper = (r: (typeof rows)[number]): PaperRow => ({ id: r.id, arxivId: r.arxivId, titleKey: r.titleKey! });
    return {
      byArxivId: rows.filter((r) => r.kind === 'id').map(paper),
      aliases: rows.filter((r) => r.kind === 'alias').map((r) => ({ externalId: r.key, paperId: r.id })),
      byTitleKey: rows.filter((r) => r.kind === 'title').map(paper),
    };
  }

  /** Papers whose normalized title is trigram-similar to each probe (best first, at most 5 each). */
  async findNearDuplicates(
    probes: ReadonlyArray<{ key: string; titleKey: string }>,
    threshold: number,
  ): Promise<Array<{ key: string; paperId: number; similarity: number; authorKeys: string[] }>> {
    if (probes.length === 0) return [];
    // Raw: a trigram (%) search per probe, a LATERAL join over unnest()ed probes, in the benchmarked ingest path.
    const { rows } = await sql<{ key: string; paperId: number; similarity: number; authorKeys: string[] }>`
      SELECT probe.key, candidate.id AS "paperId", candidate.similarity, candidate.author_keys AS "authorKeys"
      FROM unnest(${probes.map((p) => p.key)}::text[], ${probes.map((p) => p.titleKey)}::text[]) AS probe(key, title_key)
      CROSS JOIN LATERAL (
        SELECT p.id, p.author_keys, similarity(lower(p.title_key), probe.title_key) AS similarity
        FROM papers p
        WHERE lower(p.title_key) % probe.title_key AND similarity(lower(p.title_key), probe.title_key) >= ${threshold}
        ORDER BY similarity DESC, p.id
        LIMIT 5
      ) AS candidate
      ORDER BY probe.key, candidate.similarity DESC`.execute(this.db);
    return rows;
  }

  async insertPapers(papers: readonly NewPaper[]): Promise<PaperRow[]> {
    if (papers.length === 0) return [];
    // One JSON document for the whole batch: far cheaper to send than a dozen array parameters.
    // Raw: a benchmarked batch write (json_to_recordset), which the builder cannot express.
    const { rows } = await sql<PaperRow>`
      INSERT INTO papers (arxiv_id, title, title_key, abstract, authors, author_keys, categories, url, url_source, url_origin, published_at,
                          upvotes, comments, counts_seen_at, counts_source, counts_origin, first_seen_at, last_seen_at,
                          ${sql.raw(DETAIL_COLUMNS.map(([column]) => column).join(', '))},
                          latest_version, details_source, details_seen_at, details_origin)
      SELECT u."arxivId", u.title, u."titleKey", u.abstract, u.authors, u."authorKeys", u.categories,
             u.url, CASE WHEN u.url IS NULL THEN NULL ELSE u.source END, CASE WHEN u.url IS NULL THEN NULL ELSE u."urlOrigin" END,
             u."publishedAt",
             CASE WHEN c.take THEN u.upvotes END, CASE WHEN c.take THEN u.comments END,
             CASE WHEN c.take THEN u."seenAt" END, CASE WHEN c.take THEN u.source END,
             CASE WHEN c.take THEN (CASE WHEN u."countsCanonical" THEN 'canonical' ELSE 'listing' END) END,
             u."seenAt", u."seenAt",
             ${sql.raw(
               DETAIL_COLUMNS.map(([, key, type]) =>
                 type === 'text[]'
                   ? `CASE WHEN d.take THEN u."${key}" ELSE '{}' END`
                   : `CASE WHEN d.take THEN u."${key}" END`,
               ).join(', '),
             )},
             u.version,
             CASE WHEN d.take THEN u.source END, CASE WHEN d.take THEN u."seenAt" END,
             CASE WHEN d.take THEN (CASE WHEN u."detailsCanonical" THEN 'canonical' ELSE 'listing' END) END
      FROM json_to_recordset(${json(papers.map((paper, ord) => ({ ...flatPaper(paper), ord })))}::json)
        AS u("arxivId" text, title text, "titleKey" text, abstract text, authors text[], "authorKeys" text[], categories text[],
             url text, "publishedAt" timestamptz, upvotes int, comments int, "seenAt" timestamptz, ord int,
             source text, "urlOrigin" text, "countsCanonical" boolean,
             ${sql.raw(DETAIL_RECORD)}, "hasDetails" boolean, "detailsCanonical" boolean, version int)
      CROSS JOIN LATERAL (SELECT (u.upvotes IS NOT NULL OR u.comments IS NOT NULL)
                                 AND ${sql.raw(ENTRY_COUNTS_RANK('u."countsCanonical"', 'u."arxivId"'))} > 0 AS take) AS c
      CROSS JOIN LATERAL (SELECT u."hasDetails"
                                 AND ${sql.raw(ENTRY_DETAILS_RANK('u."detailsCanonical"', 'u."arxivId"'))} > 0 AS take) AS d
      ORDER BY u.ord
      RETURNING id, arxiv_id AS "arxivId", title_key AS "titleKey"`.execute(this.db);
    return rows;
  }

  /**
   * Merges what a listing showed into known papers: fills what was missing (an arXiv id,
   * an abstract, authors), adds categories, takes the link only from a higher-ranked origin
   * (canonical ▸ arXiv ▸ listing: a listing never replaces a canonical link), and keeps the counts
   * of the highest-ranked origin, the latest by observation time among equals, so a late retry of an
   * old page never overwrites newer upvotes and a listing never overrides a canonical count.
   * Records which source gave the link and the counts. Returns the merged papers' text.
   */
  async mergeIntoPapers(updates: readonly PaperUpdate[]): Promise<StoredPaperText[]> {
    if (updates.length === 0) return [];
    // Raw: a benchmarked batch write (UPDATE … FROM json_to_recordset with provenance ranks).
    const { rows } = await sql<StoredPaperText>`
      WITH u AS (
        SELECT u.*,
          u.url IS NOT NULL AND ${sql.raw(URL_RANK('u."urlOrigin"'))} > (CASE WHEN p.url IS NULL THEN 0 ELSE ${sql.raw(URL_RANK('p.url_origin'))} END) AS take_url,
          (u.upvotes IS NOT NULL OR u.comments IS NOT NULL) AND r.rank > 0
            AND (r.rank > ${sql.raw(COUNTS_RANK('p.counts_origin'))}
                 OR (r.rank = ${sql.raw(COUNTS_RANK('p.counts_origin'))} AND u."seenAt" >= COALESCE(p.counts_seen_at, '-infinity'))) AS take_counts,
          dr.rank AS details_rank,
          u."hasDetails" AND dr.rank > 0
            AND (dr.rank > ${sql.raw(DETAILS_RANK('p.details_origin'))}
                 OR (dr.rank = ${sql.raw(DETAILS_RANK('p.details_origin'))} AND u."seenAt" >= COALESCE(p.details_seen_at, '-infinity'))) AS take_details,
          -- A replacement: a version above any known (above 1 when none is: a first v1 replaces nothing).
          u.version IS NOT NULL AND u.version > COALESCE(p.latest_version, 1) AS newer_version
        FROM json_to_recordset(${json(updates.map(flatPaper))}::json)
          AS u(id bigint, "arxivId" text, abstract text, authors text[], "authorKeys" text[], categories text[], url text,
               "publishedAt" timestamptz, upvotes int, comments int, "seenAt" timestamptz,
               source text, "urlOrigin" text, "countsCanonical" boolean,
               ${sql.raw(DETAIL_RECORD)}, "hasDetails" boolean, "detailsCanonical" boolean, version int, "detailsOnly" boolean)
        JOIN papers p ON p.id = u.id
        CROSS JOIN LATERAL (SELECT ${sql.raw(ENTRY_COUNTS_RANK('u."countsCanonical"', 'COALESCE(p.arxiv_id, u."arxivId")'))} AS rank) AS r
        CROSS JOIN LATERAL (SELECT ${sql.raw(ENTRY_DETAILS_RANK('u."detailsCanonical"', 'COALESCE(p.arxiv_id, u."arxivId")'))} AS rank) AS dr
      )
      UPDATE papers AS p SET
        arxiv_id = COALESCE(p.arxiv_id, u."arxivId"),
        -- A newer arXiv version (v2 after v1) replaces the abstract; otherwise one only fills a missing one.
        abstract = CASE WHEN u.newer_version AND u.abstract IS NOT NULL THEN u.abstract ELSE COALESCE(p.abstract, u.abstract) END,
        authors = CASE WHEN cardinality(p.authors) = 0 THEN u.authors ELSE p.authors END,
        author_keys = CASE WHEN cardinality(p.author_keys) = 0 THEN u."authorKeys" ELSE p.author_keys END,
        categories = ARRAY(SELECT DISTINCT c FROM unnest(p.categories || u.categories) AS c ORDER BY c),
        url = CASE WHEN u.take_url THEN u.url ELSE p.url END,
        url_source = CASE WHEN u.take_url THEN u.source ELSE p.url_source END,
        url_origin = CASE WHEN u.take_url THEN u."urlOrigin" ELSE p.url_origin END,
        published_at = COALESCE(p.published_at, u."publishedAt"),
        upvotes = CASE WHEN u.take_counts AND u.upvotes IS NOT NULL THEN u.upvotes ELSE p.upvotes END,
        comments = CASE WHEN u.take_counts AND u.comments IS NOT NULL THEN u.comments ELSE p.comments END,
        counts_seen_at = CASE WHEN u.take_counts THEN u."seenAt" ELSE p.counts_seen_at END,
        counts_source = CASE WHEN u.take_counts THEN u.source ELSE p.counts_source END,
        counts_origin = CASE WHEN u.take_counts THEN (CASE WHEN u."countsCanonical" THEN 'canonical' ELSE 'listing' END) ELSE p.counts_origin END,
        ${sql.raw(
          DETAIL_COLUMNS.map(([column, key, type]) =>
            type === 'text[]'
              ? `${column} = CASE WHEN u.take_details AND cardinality(u."${key}") > 0 THEN u."${key}" WHEN u.details_rank > 0 AND cardinality(p.${column}) = 0 THEN u."${key}" ELSE p.${column} END`
              : `${column} = CASE WHEN u.take_details THEN COALESCE(u."${key}", p.${column}) WHEN u.details_rank > 0 THEN COALESCE(p.${column}, u."${key}") ELSE p.${column} END`,
          ).join(',\n        '),
        )},
        latest_version = GREATEST(p.latest_version, u.version),
        details_source = CASE WHEN u.take_details THEN u.source ELSE p.details_source END,
        details_seen_at = CASE WHEN u.take_details THEN u."seenAt" ELSE p.details_seen_at END,
        details_origin = CASE WHEN u.take_details THEN (CASE WHEN u."detailsCanonical" THEN 'canonical' ELSE 'listing' END) ELSE p.details_origin END,
        first_seen_at = CASE WHEN u."detailsOnly" THEN p.first_seen_at ELSE LEAST(p.first_seen_at, u."seenAt") END,
        last_seen_at = CASE WHEN u."detailsOnly" THEN p.last_seen_at ELSE GREATEST(p.last_seen_at, u."seenAt") END,
        updated_at = now()
      FROM u
      WHERE p.id = u.id
      RETURNING p.id, p.title, p.abstract, p.categories, p.primary_category AS "primaryCategory"`.execute(this.db);
    return rows;
  }

  /**
   * Everything else a batch records, in one statement: aliases (returns the external ids that
   * were new: an alias already known is left as is), sightings (each observation once, so a
   * retried batch inserts nothing twice), computed topics (replaced; manual labels live apart)
   * and rejected entries. Rows are sorted by key so concurrent batches lock them in one order.
   */
  async recordBatch(batch: {
    source: string;
    aliases: ReadonlyArray<{ externalId: string; paperId: number; seenAt: Date }>;
    sightings: readonly SightingRow[];
    /** Papers whose computed topics are replaced by `topics`. */
    classifiedPaperIds: readonly number[];
    topics: readonly TopicRow[];
    taxonomyVersion: string;
    rejected: readonly RejectedRow[];
    /** Every value each entry gave (one per paper, source and field: the caller keeps one). */
    facts?: readonly FactRow[];
    /** The arXiv versions the entries showed (one per paper and version). */
    versions?: readonly VersionRow[];
  }): Promise<{ newAliases: Set<string> }> {
    const aliases = [...batch.aliases].sort((a, b) =>
      a.externalId < b.externalId ? -1 : a.externalId > b.externalId ? 1 : 0,
    );
    const sightings = [...batch.sightings]
      .sort((a, b) => a.paperId - b.paperId)
      .map((row) => ({ ...row, stars: row.stars ?? null }));
    const facts = [...(batch.facts ?? [])].sort(
      (a, b) => a.paperId - b.paperId || (a.field < b.field ? -1 : a.field > b.field ? 1 : 0),
    );
    const versions = [...(batch.versions ?? [])].sort((a, b) => a.paperId - b.paperId || a.version - b.version);
    // Raw: the benchmarked batch write (aliases, sightings, topics, rejected entries in one statement).
    const { rows } = await sql<{ externalId: string }>`
      WITH new_aliases AS (
        INSERT INTO paper_aliases (source, external_id, paper_id, first_seen_at)
        SELECT ${batch.source}, u."externalId", u."paperId", u."seenAt"
        FROM json_to_recordset(${json(aliases)}::json) AS u("externalId" text, "paperId" bigint, "seenAt" timestamptz)
        ON CONFLICT (source, external_id) DO NOTHING
        RETURNING external_id AS "externalId"
      ), new_sightings AS (
        INSERT INTO sightings (paper_id, source, listing, rank, upvotes, comments, stars, seen_at, fetch_id)
        SELECT u."paperId", u.source, u.listing, u.rank, u.upvotes, u.comments, u.stars, u."seenAt", u."fetchId"
        FROM json_to_recordset(${json(sightings)}::json)
          AS u("paperId" bigint, source text, listing text, rank int, upvotes int, comments int, stars int, "seenAt" timestamptz, "fetchId" bigint)
        ON CONFLICT ON CONSTRAINT sightings_observation DO NOTHING
      ), new_facts AS (
        -- A value is rewritten only when a later observation gives another one; the same value seen
        -- earlier (a late retry of an old page) moves its time back. Re-delivering a batch writes nothing.
        INSERT INTO paper_facts AS f (paper_id, source, field, value, seen_at)
        SELECT u."paperId", u.source, u.field, u.value, u."seenAt"
        FROM json_to_recordset(${json(facts)}::json)
          AS u("paperId" bigint, source text, field text, value jsonb, "seenAt" timestamptz)
        ON CONFLICT (paper_id, source, field) DO UPDATE SET value = EXCLUDED.value, seen_at = EXCLUDED.seen_at
        WHERE (f.value IS DISTINCT FROM EXCLUDED.value AND EXCLUDED.seen_at > f.seen_at)
           OR (f.value = EXCLUDED.value AND EXCLUDED.seen_at < f.seen_at)
      ), new_versions AS (
        INSERT INTO paper_versions AS v (paper_id, version, first_seen_at, source)
        SELECT u."paperId", u.version, u."seenAt", u.source
        FROM json_to_recordset(${json(versions)}::json)
          AS u("paperId" bigint, version int, source text, "seenAt" timestamptz)
        ON CONFLICT (paper_id, version) DO UPDATE SET first_seen_at = EXCLUDED.first_seen_at, source = EXCLUDED.source
        WHERE EXCLUDED.first_seen_at < v.first_seen_at
      ), topics AS (
        SELECT * FROM json_to_recordset(${json(batch.topics)}::json)
          AS u("paperId" bigint, "topicId" text, score real, position smallint, evidence text[])
      ), stale_topics AS (
        DELETE FROM paper_topics t
        WHERE t.paper_id = ANY(${[...batch.classifiedPaperIds]}::bigint[])
          AND NOT EXISTS (SELECT 1 FROM topics n WHERE n."paperId" = t.paper_id AND n."topicId" = t.topic_id)
      ), new_topics AS (
        INSERT INTO paper_topics (paper_id, topic_id, score, position, evidence, taxonomy_version, classified_at)
        SELECT n."paperId", n."topicId", n.score, n.position, n.evidence, ${batch.taxonomyVersion}, now() FROM topics n
        ORDER BY n."paperId", n."topicId"
        ON CONFLICT (paper_id, topic_id) DO UPDATE SET score = EXCLUDED.score, position = EXCLUDED.position,
          evidence = EXCLUDED.evidence, taxonomy_version = EXCLUDED.taxonomy_version, classified_at = EXCLUDED.classified_at
      ), new_rejected AS (
        INSERT INTO rejected_entries (fetch_id, source, listing, seen_at, rank, reason, raw)
        SELECT u."fetchId", u.source, u.listing, u."seenAt", u.rank, u.reason, COALESCE(u.raw, 'null'::jsonb)
        FROM json_to_recordset(${json(batch.rejected)}::json)
          AS u("fetchId" bigint, source text, listing text, "seenAt" timestamptz, rank int, reason text, raw jsonb)
        ON CONFLICT ON CONSTRAINT rejected_entries_observation DO NOTHING
      )
      SELECT "externalId" FROM new_aliases`.execute(this.db);
    return { newAliases: new Set(rows.map((r) => r.externalId)) };
  }

  /** Replaces the computed topics of these papers (for `paperboy reclassify`). */
  async replaceTopics(
    paperIds: readonly number[],
    topics: readonly TopicRow[],
    taxonomyVersion: string,
  ): Promise<void> {
    if (paperIds.length === 0) return;
    await this.recordBatch({
      source: '',
      aliases: [],
      sightings: [],
      classifiedPaperIds: paperIds,
      topics,
      taxonomyVersion,
      rejected: [],
    });
  }
}
