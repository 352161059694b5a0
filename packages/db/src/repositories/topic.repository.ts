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

  async setLabels(arxivId: string, topicIds: readonly string[], labelledBy: string | null): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const paper = await trx.selectFrom('papers').select('id').where('arxiv_id', '=', arxivId).executeTakeFirst();
      if (!paper) return false;
      await trx.deleteFrom('paper_labels').where('paper_id', '=', paper.id).execute();
      if (topicIds.length > 0) {
        await trx
          .insertInto('paper_labels')
          .values(topicIds.map((topic_id) => ({ paper_id: paper.id, topic_id, labelled_by: labelledBy })))
          .execute();
      }
      return true;
    });
  }
}
