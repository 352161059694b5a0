import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../schema.js';

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
}

export interface PaperUpdate extends NewPaper {
  id: number;
}

export interface StoredPaperText {
  id: number;
  title: string;
  abstract: string | null;
  categories: string[];
}

export interface SightingRow {
  paperId: number;
  source: string;
  listing: string;
  rank: number;
  upvotes: number | null;
  comments: number | null;
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

/** Postgres array literal for text[] parameters whose elements may themselves be arrays: passed as JSON instead. */
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
    await sql`
      SELECT pg_advisory_xact_lock(hashtextextended(k, 7411))
      FROM (SELECT k FROM unnest(${[...keys]}::text[]) AS k ORDER BY k) AS ordered`.execute(this.db);
  }

  /** Serializes the creation of papers without an arXiv id, whose near-duplicate check spans all titles. */
  async lockIdlessPaperCreation(): Promise<void> {
    await sql`SELECT pg_advisory_xact_lock(hashtextextended('paperboy:idless-papers', 7411))`.execute(this.db);
  }

  /** Row locks on papers about to be merged into, always in id order, so two batches cannot deadlock on them. */
  async lockPapers(paperIds: readonly number[]): Promise<void> {
    if (paperIds.length === 0) return;
    await sql`SELECT id FROM papers WHERE id = ANY(${[...paperIds]}::bigint[]) ORDER BY id FOR UPDATE`.execute(this.db);
  }

  async findByArxivIds(arxivIds: readonly string[]): Promise<PaperRow[]> {
    if (arxivIds.length === 0) return [];
    const { rows } = await sql<PaperRow>`
      SELECT id, arxiv_id AS "arxivId", title_key AS "titleKey"
      FROM papers WHERE arxiv_id = ANY(${[...arxivIds]}::text[])`.execute(this.db);
    return rows;
  }

  async findAliases(source: string, externalIds: readonly string[]): Promise<Array<{ externalId: string; paperId: number }>> {
    if (externalIds.length === 0) return [];
    const { rows } = await sql<{ externalId: string; paperId: number }>`
      SELECT external_id AS "externalId", paper_id AS "paperId"
      FROM paper_aliases WHERE source = ${source} AND external_id = ANY(${[...externalIds]}::text[])`.execute(this.db);
    return rows;
  }

  async findByTitleKeys(titleKeys: readonly string[]): Promise<PaperRow[]> {
    if (titleKeys.length === 0) return [];
    const { rows } = await sql<PaperRow>`
      SELECT id, arxiv_id AS "arxivId", title_key AS "titleKey"
      FROM papers WHERE title_key = ANY(${[...titleKeys]}::text[])`.execute(this.db);
    return rows;
  }

  /** Papers whose normalized title is trigram-similar to each probe (best first, at most 5 each). */
  async findNearDuplicates(
    probes: ReadonlyArray<{ key: string; titleKey: string }>,
    threshold: number,
  ): Promise<Array<{ key: string; paperId: number; similarity: number; authorKeys: string[] }>> {
    if (probes.length === 0) return [];
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
    const { rows } = await sql<PaperRow>`
      INSERT INTO papers (arxiv_id, title, title_key, abstract, authors, author_keys, categories, url, published_at,
                          upvotes, comments, counts_seen_at, first_seen_at, last_seen_at)
      SELECT u.arxiv_id, u.title, u.title_key, u.abstract,
             ARRAY(SELECT jsonb_array_elements_text(u.authors)), ARRAY(SELECT jsonb_array_elements_text(u.author_keys)),
             ARRAY(SELECT jsonb_array_elements_text(u.categories)), u.url, u.published_at,
             u.upvotes, u.comments, CASE WHEN u.upvotes IS NULL AND u.comments IS NULL THEN NULL ELSE u.seen_at END,
             u.seen_at, u.seen_at
      FROM unnest(${papers.map((p) => p.arxivId)}::text[], ${papers.map((p) => p.title)}::text[],
                  ${papers.map((p) => p.titleKey)}::text[], ${papers.map((p) => p.abstract)}::text[],
                  ${papers.map((p) => json(p.authors))}::jsonb[], ${papers.map((p) => json(p.authorKeys))}::jsonb[],
                  ${papers.map((p) => json(p.categories))}::jsonb[], ${papers.map((p) => p.url)}::text[],
                  ${papers.map((p) => p.publishedAt)}::timestamptz[], ${papers.map((p) => p.upvotes)}::int[],
                  ${papers.map((p) => p.comments)}::int[], ${papers.map((p) => p.seenAt)}::timestamptz[])
        WITH ORDINALITY AS u(arxiv_id, title, title_key, abstract, authors, author_keys, categories, url, published_at,
                             upvotes, comments, seen_at, ord)
      ORDER BY u.ord
      RETURNING id, arxiv_id AS "arxivId", title_key AS "titleKey"`.execute(this.db);
    return rows;
  }

  /**
   * Merges what a listing showed into known papers: fills what was missing (an arXiv id,
   * an abstract, authors), adds categories, and keeps the latest counts by observation time,
   * so a late retry of an old page never overwrites newer upvotes.
   */
  async mergeIntoPapers(updates: readonly PaperUpdate[]): Promise<void> {
    if (updates.length === 0) return;
    await sql`
      UPDATE papers AS p SET
        arxiv_id = COALESCE(p.arxiv_id, u.arxiv_id),
        abstract = COALESCE(p.abstract, u.abstract),
        authors = CASE WHEN cardinality(p.authors) = 0 THEN ARRAY(SELECT jsonb_array_elements_text(u.authors)) ELSE p.authors END,
        author_keys = CASE WHEN cardinality(p.author_keys) = 0 THEN ARRAY(SELECT jsonb_array_elements_text(u.author_keys)) ELSE p.author_keys END,
        categories = ARRAY(SELECT DISTINCT c FROM unnest(p.categories || ARRAY(SELECT jsonb_array_elements_text(u.categories))) AS c ORDER BY c),
        url = COALESCE(p.url, u.url),
        published_at = COALESCE(p.published_at, u.published_at),
        upvotes = CASE WHEN u.upvotes IS NOT NULL AND u.seen_at >= COALESCE(p.counts_seen_at, '-infinity') THEN u.upvotes ELSE p.upvotes END,
        comments = CASE WHEN u.comments IS NOT NULL AND u.seen_at >= COALESCE(p.counts_seen_at, '-infinity') THEN u.comments ELSE p.comments END,
        counts_seen_at = CASE WHEN (u.upvotes IS NOT NULL OR u.comments IS NOT NULL) AND u.seen_at >= COALESCE(p.counts_seen_at, '-infinity')
                              THEN u.seen_at ELSE p.counts_seen_at END,
        first_seen_at = LEAST(p.first_seen_at, u.seen_at),
        last_seen_at = GREATEST(p.last_seen_at, u.seen_at),
        updated_at = now()
      FROM unnest(${updates.map((p) => p.id)}::bigint[], ${updates.map((p) => p.arxivId)}::text[],
                  ${updates.map((p) => p.abstract)}::text[], ${updates.map((p) => json(p.authors))}::jsonb[],
                  ${updates.map((p) => json(p.authorKeys))}::jsonb[], ${updates.map((p) => json(p.categories))}::jsonb[],
                  ${updates.map((p) => p.url)}::text[], ${updates.map((p) => p.publishedAt)}::timestamptz[],
                  ${updates.map((p) => p.upvotes)}::int[], ${updates.map((p) => p.comments)}::int[],
                  ${updates.map((p) => p.seenAt)}::timestamptz[])
        AS u(id, arxiv_id, abstract, authors, author_keys, categories, url, published_at, upvotes, comments, seen_at)
      WHERE p.id = u.id`.execute(this.db);
  }

  async findTexts(paperIds: readonly number[]): Promise<StoredPaperText[]> {
    if (paperIds.length === 0) return [];
    const { rows } = await sql<StoredPaperText>`
      SELECT id, title, abstract, categories FROM papers WHERE id = ANY(${[...paperIds]}::bigint[]) ORDER BY id`.execute(this.db);
    return rows;
  }

  /** Adds aliases; returns the external ids that were new (an alias already known is left as is). */
  async insertAliases(source: string, aliases: ReadonlyArray<{ externalId: string; paperId: number; seenAt: Date }>): Promise<Set<string>> {
    if (aliases.length === 0) return new Set();
    const { rows } = await sql<{ externalId: string }>`
      INSERT INTO paper_aliases (source, external_id, paper_id, first_seen_at)
      SELECT ${source}, u.external_id, u.paper_id, u.seen_at
      FROM unnest(${aliases.map((a) => a.externalId)}::text[], ${aliases.map((a) => a.paperId)}::bigint[],
                  ${aliases.map((a) => a.seenAt)}::timestamptz[]) AS u(external_id, paper_id, seen_at)
      ORDER BY u.external_id
      ON CONFLICT (source, external_id) DO NOTHING
      RETURNING external_id AS "externalId"`.execute(this.db);
    return new Set(rows.map((r) => r.externalId));
  }

  /** Records each observation once: a retried batch inserts nothing twice. */
  async insertSightings(sightings: readonly SightingRow[]): Promise<number> {
    if (sightings.length === 0) return 0;
    const result = await sql`
      INSERT INTO sightings (paper_id, source, listing, rank, upvotes, comments, seen_at, fetch_id)
      SELECT u.* FROM unnest(${sightings.map((s) => s.paperId)}::bigint[], ${sightings.map((s) => s.source)}::text[],
                           ${sightings.map((s) => s.listing)}::text[], ${sightings.map((s) => s.rank)}::int[],
                           ${sightings.map((s) => s.upvotes)}::int[], ${sightings.map((s) => s.comments)}::int[],
                           ${sightings.map((s) => s.seenAt)}::timestamptz[], ${sightings.map((s) => s.fetchId)}::bigint[])
                    AS u(paper_id, source, listing, rank, upvotes, comments, seen_at, fetch_id)
      ORDER BY u.paper_id
      ON CONFLICT ON CONSTRAINT sightings_observation DO NOTHING`.execute(this.db);
    return Number(result.numAffectedRows ?? 0);
  }

  /** Replaces the computed topics of these papers (manual labels live apart and are never touched here). */
  async replaceTopics(paperIds: readonly number[], topics: readonly TopicRow[], taxonomyVersion: string): Promise<void> {
    if (paperIds.length === 0) return;
    await sql`DELETE FROM paper_topics WHERE paper_id = ANY(${[...paperIds]}::bigint[])`.execute(this.db);
    if (topics.length === 0) return;
    await sql`
      INSERT INTO paper_topics (paper_id, topic_id, score, position, evidence, taxonomy_version)
      SELECT u.paper_id, u.topic_id, u.score, u.position, ARRAY(SELECT jsonb_array_elements_text(u.evidence)), ${taxonomyVersion}
      FROM unnest(${topics.map((t) => t.paperId)}::bigint[], ${topics.map((t) => t.topicId)}::text[],
                  ${topics.map((t) => t.score)}::real[], ${topics.map((t) => t.position)}::smallint[],
                  ${topics.map((t) => json(t.evidence))}::jsonb[]) AS u(paper_id, topic_id, score, position, evidence)`.execute(this.db);
  }

  async insertRejected(rows: readonly RejectedRow[]): Promise<number> {
    if (rows.length === 0) return 0;
    const result = await sql`
      INSERT INTO rejected_entries (fetch_id, source, listing, seen_at, rank, reason, raw)
      SELECT * FROM unnest(${rows.map((r) => r.fetchId)}::bigint[], ${rows.map((r) => r.source)}::text[],
                           ${rows.map((r) => r.listing)}::text[], ${rows.map((r) => r.seenAt)}::timestamptz[],
                           ${rows.map((r) => r.rank)}::int[], ${rows.map((r) => r.reason)}::text[],
                           ${rows.map((r) => json(r.raw))}::jsonb[])
      ON CONFLICT ON CONSTRAINT rejected_entries_observation DO NOTHING`.execute(this.db);
    return Number(result.numAffectedRows ?? 0);
  }
}
