import { type Kysely, sql } from 'kysely';
import type { Database } from '../schema.js';

export interface ExportedPaper {
  arxivId: string | null;
  title: string;
  abstract: string | null;
  authors: string[];
  upvotes: number | null;
  topics: Array<{ id: string; score: number }>;
  sources: string[];
  firstSeenAt: string;
  lastSeenAt: string;
}

/** Reads for `paperboy export` and the demo report. */
export class ExportRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /**
   * Papers in id order, `pageSize` at a time (keyset pagination), so an export of any
   * size runs in flat memory. Manual labels, when a paper has any, replace its computed topics.
   */
  async *streamPapers(pageSize = 1000): AsyncGenerator<ExportedPaper> {
    let after = 0;
    for (;;) {
      // Raw: correlated JSON aggregates (labels over computed topics) and to_char instants, one page per statement.
      const { rows } = await sql<ExportedPaper & { id: number }>`
        SELECT p.id, p.arxiv_id AS "arxivId", p.title, p.abstract, p.authors, p.upvotes,
          COALESCE(
            (SELECT json_agg(json_build_object('id', l.topic_id, 'score', 1) ORDER BY l.topic_id)
               FROM paper_labels l WHERE l.paper_id = p.id),
            (SELECT json_agg(json_build_object('id', t.topic_id, 'score', round(t.score::numeric, 4)) ORDER BY t.position)
               FROM paper_topics t WHERE t.paper_id = p.id),
            '[]'::json) AS topics,
          ARRAY(SELECT DISTINCT a.source FROM paper_aliases a WHERE a.paper_id = p.id ORDER BY a.source) AS sources,
          to_char(p.first_seen_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "firstSeenAt",
          to_char(p.last_seen_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "lastSeenAt"
        FROM papers p WHERE p.id > ${after} ORDER BY p.id LIMIT ${pageSize}`.execute(this.db);
      for (const { id: _id, ...paper } of rows) {
        paper.topics = paper.topics.map((t) => ({ id: t.id, score: Number(t.score) }));
        yield paper;
      }
      if (rows.length < pageSize) return;
      after = rows[rows.length - 1]!.id;
    }
  }

  async counts(): Promise<{
    papers: number;
    sightings: number;
    aliases: number;
    crossSource: number;
    rejected: number;
  }> {
    // Raw: five scalar subqueries in one round trip.
    const { rows } = await sql<{
      papers: number;
      sightings: number;
      aliases: number;
      crossSource: number;
      rejected: number;
    }>`
      SELECT (SELECT count(*)::int FROM papers) AS papers,
             (SELECT count(*)::int FROM sightings) AS sightings,
             (SELECT count(*)::int FROM paper_aliases) AS aliases,
             (SELECT count(*)::int FROM (SELECT paper_id FROM paper_aliases GROUP BY paper_id HAVING count(DISTINCT source) > 1) s) AS "crossSource",
             (SELECT count(*)::int FROM rejected_entries) AS rejected`.execute(this.db);
    return rows[0]!;
  }

  /** Papers seen on more than one source, with those sources. */
  async crossSourcePapers(limit: number): Promise<Array<{ arxivId: string | null; title: string; sources: string[] }>> {
    // Raw: array_agg(DISTINCT … ORDER BY …) with a HAVING on a distinct count.
    const { rows } = await sql<{ arxivId: string | null; title: string; sources: string[] }>`
      SELECT p.arxiv_id AS "arxivId", p.title, array_agg(DISTINCT a.source ORDER BY a.source) AS sources
      FROM papers p JOIN paper_aliases a ON a.paper_id = p.id
      GROUP BY p.id HAVING count(DISTINCT a.source) > 1
      ORDER BY p.upvotes DESC NULLS LAST, p.id LIMIT ${limit}`.execute(this.db);
    return rows;
  }

  /** How many papers have each topic as their best one. */
  async topTopicCounts(): Promise<Array<{ topic: string; papers: number }>> {
    return this.db
      .selectFrom('paper_topics')
      .select((eb) => ['topic_id as topic', eb.cast<number>(eb.fn.countAll(), 'integer').as('papers')])
      .where('position', '=', 0)
      .groupBy('topic_id')
      .orderBy('papers', 'desc')
      .orderBy('topic_id')
      .execute();
  }

  /** Papers whose upvotes changed between their first and latest sighting, biggest change first. */
  async upvoteChanges(
    limit: number,
  ): Promise<Array<{ arxivId: string | null; title: string; first: number; last: number; sightings: number }>> {
    // Raw: first and last values by (array_agg(… ORDER BY …))[1], which the builder has no form for.
    const { rows } = await sql<{
      arxivId: string | null;
      title: string;
      first: number;
      last: number;
      sightings: number;
    }>`
      SELECT p.arxiv_id AS "arxivId", p.title, h.first, h.last, h.sightings FROM (
        SELECT paper_id,
               (array_agg(upvotes ORDER BY seen_at))[1] AS first,
               (array_agg(upvotes ORDER BY seen_at DESC))[1] AS last,
               count(*)::int AS sightings
        FROM sightings WHERE upvotes IS NOT NULL GROUP BY paper_id
      ) h JOIN papers p ON p.id = h.paper_id
      WHERE h.first <> h.last
      ORDER BY abs(h.last - h.first) DESC, p.id LIMIT ${limit}`.execute(this.db);
    return rows;
  }
}
