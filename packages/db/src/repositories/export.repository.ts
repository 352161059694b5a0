import { type Expression, type Kysely, sql } from 'kysely';
import type { Database } from '../schema.js';
import type { PaperDetailFields } from './read.repository.js';

/** An array's first element. Raw: the builder has no subscript form. */
const firstOf = <T>(array: Expression<T[]>) => sql<T>`(${array})[1]`;

export interface ExportedPaper extends PaperDetailFields {
  arxivId: string | null;
  title: string;
  abstract: string | null;
  authors: string[];
  upvotes: number | null;
  topics: Array<{ id: string; score: number }>;
  sources: string[];
  firstSeenAt: string;
  lastSeenAt: string;
  /** The stored link (`papers.url`): exports write the links made from it (paperLinks), not it. */
  url: string | null;
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
          to_char(p.last_seen_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "lastSeenAt",
          p.url, p.code_url AS "codeUrl", p.code_stars AS "codeStars", p.project_page AS "projectPage",
          p.ai_summary AS "aiSummary", p.ai_keywords AS "aiKeywords", p.organization, p.submitted_by AS "submittedBy",
          p.thumbnail, p.media_urls AS "mediaUrls", p.primary_category AS "primaryCategory",
          p.arxiv_comments AS "arxivComments", p.journal_ref AS "journalRef", p.doi, p.license,
          p.latest_version AS "latestVersion"
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
    // Five scalar subqueries in one round trip.
    const row = await this.db
      .selectNoFrom((eb) => {
        const count = eb.cast<number>(eb.fn.countAll(), 'integer').as('n');
        return [
          eb.selectFrom('papers').select(count).$asScalar().as('papers'),
          eb.selectFrom('sightings').select(count).$asScalar().as('sightings'),
          eb.selectFrom('paper_aliases').select(count).$asScalar().as('aliases'),
          eb
            .selectFrom(
              eb
                .selectFrom('paper_aliases')
                .select('paper_id')
                .groupBy('paper_id')
                .having((h) => h.fn.count('source').distinct(), '>', 1)
                .as('s'),
            )
            .select(count)
            .$asScalar()
            .as('crossSource'),
          eb.selectFrom('rejected_entries').select(count).$asScalar().as('rejected'),
        ];
      })
      .executeTakeFirstOrThrow();
    return row;
  }

  /** Papers seen on more than one source, with those sources. */
  async crossSourcePapers(limit: number): Promise<Array<{ arxivId: string | null; title: string; sources: string[] }>> {
    return this.db
      .selectFrom('papers as p')
      .innerJoin('paper_aliases as a', 'a.paper_id', 'p.id')
      .select((eb) => [
        'p.arxiv_id as arxivId',
        'p.title',
        eb.fn.agg<string[]>('array_agg', ['a.source']).distinct().orderBy('a.source').as('sources'),
      ])
      .groupBy('p.id')
      .having((eb) => eb.fn.count('a.source').distinct(), '>', 1)
      .orderBy('p.upvotes', (ob) => ob.desc().nullsLast())
      .orderBy('p.id')
      .limit(limit)
      .execute();
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
    // The first and last upvotes of a paper's counted sightings, in time order.
    const history = this.db
      .selectFrom('sightings')
      .select((eb) => [
        'paper_id',
        firstOf(eb.fn.agg<number[]>('array_agg', ['upvotes']).orderBy('seen_at')).as('first'),
        firstOf(eb.fn.agg<number[]>('array_agg', ['upvotes']).orderBy('seen_at', 'desc')).as('last'),
        eb.cast<number>(eb.fn.countAll(), 'integer').as('sightings'),
      ])
      .where('upvotes', 'is not', null)
      .groupBy('paper_id')
      .as('h');
    return this.db
      .selectFrom(history)
      .innerJoin('papers as p', 'p.id', 'h.paper_id')
      .select(['p.arxiv_id as arxivId', 'p.title', 'h.first', 'h.last', 'h.sightings'])
      .whereRef('h.first', '<>', 'h.last')
      .orderBy((eb) => eb.fn('abs', [eb('h.last', '-', eb.ref('h.first'))]), 'desc')
      .orderBy('p.id')
      .limit(limit)
      .execute();
  }
}
