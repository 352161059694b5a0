import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';
import type { StoredPaperText } from './paper.repository.js';

/** Reads and writes for classification outside ingest: `paperboy reclassify`, manual labels. */
export class TopicRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /** Papers in id order, a page at a time, for re-scoring in batches. */
  async *streamPaperTexts(pageSize: number): AsyncGenerator<StoredPaperText[]> {
    let after = 0;
    for (;;) {
      const rows: StoredPaperText[] = await this.db
        .selectFrom('papers')
        .select(['id', 'title', 'abstract', 'categories', 'primary_category as primaryCategory'])
        .where('id', '>', after)
        .orderBy('id')
        .limit(pageSize)
        .execute();
      if (rows.length > 0) yield rows;
      if (rows.length < pageSize) return;
      after = rows[rows.length - 1]!.id;
    }
  }

  /** The stored paper with this arXiv id, or undefined. */
  async paperIdByArxivId(arxivId: string): Promise<number | undefined> {
    const paper = await this.db.selectFrom('papers').select('id').where('arxiv_id', '=', arxivId).executeTakeFirst();
    return paper === undefined ? undefined : Number(paper.id);
  }

  /** Replaces a paper's manual labels (none: its computed topics apply again); run it in the caller's transaction. */
  async replaceLabels(paperId: number, topicIds: readonly string[], labelledBy: string | null): Promise<void> {
    await this.db.deleteFrom('paper_labels').where('paper_id', '=', paperId).execute();
    if (topicIds.length > 0) {
      await this.db
        .insertInto('paper_labels')
        .values(topicIds.map((topic_id) => ({ paper_id: paperId, topic_id, labelled_by: labelledBy })))
        .execute();
    }
  }
}
