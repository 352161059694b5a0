import { type Kysely, sql } from 'kysely';
import type { Database } from '../schema.js';
import { isoMillis, paperHeadline, TOPICS_SQL } from './expressions.js';

/** A paper as a feed item shows it: what the digest shows, and the dates and categories a feed carries. */
export interface FeedPaper {
  id: number;
  arxivId: string | null;
  title: string;
  abstract: string | null;
  authors: string[];
  /** The stored link (`papers.url`): the feed's links are made from it with the others (storedPaperLinks). */
  url: string | null;
  upvotes: number | null;
  /** The source categories (arXiv's, e.g. cs.CL), as stored. */
  categories: string[];
  /** Its manual labels when it has any, else its computed topics, best first (as the read API shows them). */
  topics: string[];
  /** When paperboy first saw it: the item's publication date. */
  firstSeenAt: string;
  /** When its current details were observed (migration 0020), or null: the item's update date. */
  detailsSeenAt: string | null;
  aiSummary: string | null;
  submittedBy: string | null;
  codeUrl: string | null;
  codeStars: number | null;
  projectPage: string | null;
}

/** Reads for the API's feeds: the lists come from ReadRepository (or the digest's ranking), the items from here. */
export class FeedRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /** The papers of these ids, in the order of the ids (an id with no paper, merged since, is left out). One statement. */
  async feedPapersByIds(ids: readonly number[]): Promise<FeedPaper[]> {
    if (ids.length === 0) return [];
    const rows = await this.db
      .selectFrom('papers as p')
      .select([
        ...paperHeadline,
        'p.url',
        'p.upvotes',
        'p.categories',
        // Raw: the topics rule, SQL text shared with the read API's lists.
        sql<string[]>`(${sql.raw(TOPICS_SQL)})`.as('topics'),
        isoMillis('p.first_seen_at').as('firstSeenAt'),
        isoMillis('p.details_seen_at').as('detailsSeenAt'),
        'p.ai_summary as aiSummary',
        'p.submitted_by as submittedBy',
        'p.code_url as codeUrl',
        'p.code_stars as codeStars',
        'p.project_page as projectPage',
      ])
      // Raw: one bigint[] parameter, whatever the number of ids.
      .where('p.id', '=', (eb) => eb.fn.any(sql<number[]>`${[...ids]}::bigint[]`))
      .execute();
    const byId = new Map(rows.map((r) => [r.id, r]));
    return ids.flatMap((id) => {
      const row = byId.get(id);
      return row ? [{ ...row, detailsSeenAt: row.detailsSeenAt as string | null }] : [];
    });
  }
}
