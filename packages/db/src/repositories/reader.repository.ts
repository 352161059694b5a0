import { type Kysely, sql } from 'kysely';
import type { Database } from '../schema.js';
import { isoMillis, paperTopicsSql } from './expressions.js';

export type FeedbackSignal = 1 | -1;

/** A reader's stored model as the trainer reads it; `version` and `trainedThrough` are opaque to callers. */
export interface StoredReaderModel {
  kind: string;
  bias: number;
  featureIds: number[];
  weights: number[];
  examples: number;
  /**
   * The newest feedback it learned from, as Postgres' text (microseconds kept: a JS Date would drop
   * them, and the next training would learn that word again); null once an undo or a flipped word
   * invalidated it (the next training starts over).
   */
  trainedThrough: string | null;
  /** The row's version (its xmin): a store succeeds only if the row is still the one read. */
  version: string;
}

/** A word of feedback with the paper's text, for training and for "what paperboy learned". */
export interface FeedbackOnPaper {
  paperId: number;
  signal: FeedbackSignal;
  title: string;
  abstract: string | null;
  /** Its topics as digests see them (a feature of the reader's model, as of the candidates it ranks). */
  topics: string[];
  /** Postgres' text of `given_at` (full precision), the trainer's cursor. */
  givenAt: string;
}

/** What a reader told paperboy: counts and their latest words (newest first). */
export interface FeedbackSummary {
  more: number;
  less: number;
  latest: Array<{ paperId: number; title: string; signal: FeedbackSignal; givenAt: string }>;
}

/**
 * What readers say about papers (`paper_feedback`, from the digests' feedback links) and the model
 * each reader's feedback trains (`reader_models`). A word undone or flipped marks the reader's model
 * for a full retrain (`trained_through` NULL) in the same transaction, so no training keeps a word
 * the reader took back; a model is stored only over the row it was trained from (compare-and-set on
 * the row's version), so two trainings racing never store an older model over a newer one.
 */
export class ReaderRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /**
   * Records a reader's word on a paper (the latest wins): `recorded` when it is new or changed,
   * `unchanged` when the reader said the same already (its time stays, so the model does not learn
   * it twice), null when the paper no longer exists (merged or deleted: nothing stored). A changed
   * word keeps the one it replaced, with its time, for an undo to put back.
   */
  async recordFeedback(
    subscriberId: number,
    paperId: number,
    signal: FeedbackSignal,
  ): Promise<{ outcome: 'recorded' | 'unchanged'; title: string } | null> {
    return this.db.transaction().execute(async (trx) => {
      // Locked so the paper cannot be merged away between this check and the insert.
      const paper = await trx
        .selectFrom('papers')
        .select('title')
        .where('id', '=', paperId)
        .forKeyShare()
        .executeTakeFirst();
      if (!paper) return null;
      // The conflict clause covers a first word given twice at once; a changed word moves the one it
      // replaces to previous_* (the right-hand side reads the row as it was).
      const row = await trx
        .insertInto('paper_feedback')
        .values({ subscriber_id: subscriberId, paper_id: paperId, signal })
        .onConflict((oc) =>
          oc
            .columns(['subscriber_id', 'paper_id'])
            .doUpdateSet({
              signal,
              given_at: sql`now()`,
              previous_signal: sql`paper_feedback.signal`,
              previous_given_at: sql`paper_feedback.given_at`,
            })
            .where('paper_feedback.signal', '<>', signal),
        )
        // Raw: xmax is 0 on a row this statement inserted, not on one it updated (a changed word).
        .returning(sql<boolean>`xmax = 0`.as('inserted'))
        .executeTakeFirst();
      if (!row) return { outcome: 'unchanged' as const, title: paper.title };
      // A changed word: the model learned the old one, so it must start over.
      if (!row.inserted) await invalidateModel(trx, subscriberId);
      return { outcome: 'recorded' as const, title: paper.title };
    });
  }

  /**
   * Takes back a reader's word on a paper if it still says `signal` (an old undo never removes a
   * later opposite word); with `givenWithinSeconds`, only a word given that recently. The word it had
   * replaced, if any, is its word again, with its time (`restored`); otherwise the paper has no word
   * (`removed`); null when nothing was taken back. Either way the model is marked for a full retrain.
   */
  async undoFeedback(
    subscriberId: number,
    paperId: number,
    signal: FeedbackSignal,
    options: { givenWithinSeconds?: number } = {},
  ): Promise<{ outcome: 'restored' | 'removed'; signal: FeedbackSignal | null } | null> {
    return this.db.transaction().execute(async (trx) => {
      let query = trx
        .selectFrom('paper_feedback')
        .select(['previous_signal as previous'])
        .where('subscriber_id', '=', subscriberId)
        .where('paper_id', '=', paperId)
        .where('signal', '=', signal);
      if (options.givenWithinSeconds !== undefined)
        query = query.where('given_at', '>', sql<Date>`now() - make_interval(secs => ${options.givenWithinSeconds})`);
      // Locked: a word given meanwhile waits, then finds the row as this undo left it.
      const row = await query.forUpdate().executeTakeFirst();
      if (!row) return null;
      if (row.previous === null) {
        await trx
          .deleteFrom('paper_feedback')
          .where('subscriber_id', '=', subscriberId)
          .where('paper_id', '=', paperId)
          .execute();
      } else {
        await trx
          .updateTable('paper_feedback')
          .set({
            signal: sql`previous_signal`,
            given_at: sql`previous_given_at`,
            previous_signal: null,
            previous_given_at: null,
          })
          .where('subscriber_id', '=', subscriberId)
          .where('paper_id', '=', paperId)
          .execute();
      }
      await invalidateModel(trx, subscriberId);
      return row.previous === null
        ? { outcome: 'removed' as const, signal: null }
        : { outcome: 'restored' as const, signal: row.previous };
    });
  }

  /** A paper's title, or null when it no longer exists. */
  async paperTitle(paperId: number): Promise<string | null> {
    const row = await this.db.selectFrom('papers').select('title').where('id', '=', paperId).executeTakeFirst();
    return row?.title ?? null;
  }

  async readerModel(subscriberId: number): Promise<StoredReaderModel | null> {
    const row = await this.db
      .selectFrom('reader_models')
      .select([
        'kind',
        'bias',
        'feature_ids as featureIds',
        'weights',
        'examples',
        // Raw: text keeps the microseconds; xmin is the row version the store compares.
        sql<string | null>`trained_through::text`.as('trainedThrough'),
        sql<string>`xmin::text`.as('version'),
      ])
      .where('subscriber_id', '=', subscriberId)
      .executeTakeFirst();
    return row ?? null;
  }

  /**
   * A reader's feedback with the papers' text, oldest first: given after `after` (a stored
   * `trainedThrough`), or, with `after` null, the newest `limit` words.
   */
  async feedbackForTraining(subscriberId: number, after: string | null, limit: number): Promise<FeedbackOnPaper[]> {
    let query = this.db
      .selectFrom('paper_feedback as f')
      .innerJoin('papers as p', 'p.id', 'f.paper_id')
      .select([
        'f.paper_id as paperId',
        'f.signal',
        'p.title',
        'p.abstract',
        paperTopicsSql.as('topics'),
        sql<string>`f.given_at::text`.as('givenAt'),
        'f.given_at as givenAtOrder',
      ])
      .where('f.subscriber_id', '=', subscriberId);
    if (after !== null) {
      // The oldest `limit` words after the cursor: the next training goes on from where this one stops.
      const rows = await query
        .where('f.given_at', '>', sql<Date>`${after}::timestamptz`)
        .orderBy('f.given_at')
        .orderBy('f.paper_id')
        .limit(limit)
        .execute();
      return rows.map(({ givenAtOrder: _, ...row }) => row);
    }
    query = query.orderBy('f.given_at', 'desc').orderBy('f.paper_id', 'desc').limit(limit);
    const rows = await query.execute();
    return rows.reverse().map(({ givenAtOrder: _, ...row }) => row);
  }

  /**
   * Stores a trained model if the reader's row is still the one the training read (`expected`:
   * its version, or null when there was none); false when another training or an undo got there
   * first (the caller trains again from what is stored now).
   */
  async storeReaderModel(
    subscriberId: number,
    model: { kind: string; bias: number; featureIds: number[]; weights: number[]; examples: number },
    trainedThrough: string,
    expected: string | null,
  ): Promise<boolean> {
    const values = {
      kind: model.kind,
      bias: model.bias,
      feature_ids: model.featureIds,
      weights: model.weights,
      examples: model.examples,
      trained_through: sql<Date>`${trainedThrough}::timestamptz`,
      trained_at: sql<Date>`now()`,
    };
    if (expected === null) {
      // Only while the newest word it learned is still there: a "clear" that committed while this
      // model was being trained leaves no row to compare with, and must not see it come back.
      const inserted = await this.db
        .insertInto('reader_models')
        .columns([
          'subscriber_id',
          'kind',
          'bias',
          'feature_ids',
          'weights',
          'examples',
          'trained_through',
          'trained_at',
        ])
        .expression(
          this.db
            .selectNoFrom((eb) => [
              eb.val(subscriberId).as('subscriber_id'),
              eb.val(values.kind).as('kind'),
              eb.val(values.bias).as('bias'),
              sql<number[]>`${values.feature_ids}::integer[]`.as('feature_ids'),
              sql<number[]>`${values.weights}::real[]`.as('weights'),
              eb.val(values.examples).as('examples'),
              values.trained_through.as('trained_through'),
              values.trained_at.as('trained_at'),
            ])
            .where((eb) =>
              eb.exists(
                eb
                  .selectFrom('paper_feedback')
                  .select('paper_id')
                  .where('subscriber_id', '=', subscriberId)
                  .where('given_at', '=', sql<Date>`${trainedThrough}::timestamptz`),
              ),
            ),
        )
        .onConflict((oc) => oc.column('subscriber_id').doNothing())
        .executeTakeFirst();
      return Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0;
    }
    const updated = await this.db
      .updateTable('reader_models')
      .set(values)
      .where('subscriber_id', '=', subscriberId)
      .where(sql<string>`xmin::text`, '=', expected)
      .executeTakeFirst();
    return Number(updated.numUpdatedRows) > 0;
  }

  /** Deletes a reader's model if it is still the row read (every word was undone); false otherwise. */
  async deleteReaderModel(subscriberId: number, expected: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom('reader_models')
      .where('subscriber_id', '=', subscriberId)
      .where(sql<string>`xmin::text`, '=', expected)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  /** A reader's counts of "more" and "less" words and their latest `limit`, newest first. */
  async feedbackSummary(subscriberId: number, limit: number): Promise<FeedbackSummary> {
    const counts = await this.db
      .selectFrom('paper_feedback')
      .select((eb) => [
        eb.fn.countAll<number>().filterWhere('signal', '=', 1).as('more'),
        eb.fn.countAll<number>().filterWhere('signal', '=', -1).as('less'),
      ])
      .where('subscriber_id', '=', subscriberId)
      .executeTakeFirstOrThrow();
    const latest = await this.db
      .selectFrom('paper_feedback as f')
      .innerJoin('papers as p', 'p.id', 'f.paper_id')
      .select(['f.paper_id as paperId', 'p.title', 'f.signal', isoMillis('f.given_at').as('givenAt')])
      .where('f.subscriber_id', '=', subscriberId)
      .orderBy('f.given_at', 'desc')
      .orderBy('f.paper_id', 'desc')
      .limit(limit)
      .execute();
    return { more: Number(counts.more), less: Number(counts.less), latest };
  }

  /** "Clear what paperboy learned": the reader's feedback and model, in one transaction. */
  async clearLearned(subscriberId: number): Promise<{ feedback: number; models: number }> {
    return this.db.transaction().execute(async (trx) => {
      const feedback = await trx
        .deleteFrom('paper_feedback')
        .where('subscriber_id', '=', subscriberId)
        .executeTakeFirst();
      const models = await trx.deleteFrom('reader_models').where('subscriber_id', '=', subscriberId).executeTakeFirst();
      return { feedback: Number(feedback.numDeletedRows), models: Number(models.numDeletedRows) };
    });
  }

  /**
   * Readers whose model is behind their feedback (for the sweep that re-enqueues training Redis
   * lost): feedback newer than `trained_through`, feedback and no model, or a model marked for a
   * full retrain. At most `limit`, the longest waiting first. Index probes per reader
   * (`paper_feedback_by_time`), never a scan of all feedback: 140 ms for 10,000 readers with 1,000,000
   * words, where a GROUP BY over the feedback took 370 ms (measured, Postgres 16).
   */
  async staleReaders(limit: number): Promise<number[]> {
    // Raw: two correlated LIMIT 1 look-ups in a UNION ALL, ordered by what they find.
    const { rows } = await sql<{ subscriberId: number }>`
      SELECT subscriber_id AS "subscriberId" FROM (
        SELECT m.subscriber_id,
          CASE WHEN m.trained_through IS NULL THEN m.trained_at
               ELSE (SELECT f.given_at FROM paper_feedback f
                     WHERE f.subscriber_id = m.subscriber_id AND f.given_at > m.trained_through
                     ORDER BY f.given_at LIMIT 1) END AS waiting_since
        FROM reader_models m
        UNION ALL
        SELECT s.id,
          (SELECT f.given_at FROM paper_feedback f WHERE f.subscriber_id = s.id ORDER BY f.given_at LIMIT 1)
        FROM subscribers s
        WHERE NOT EXISTS (SELECT 1 FROM reader_models m WHERE m.subscriber_id = s.id)
      ) waiting
      WHERE waiting_since IS NOT NULL
      ORDER BY waiting_since, subscriber_id
      LIMIT ${limit}`.execute(this.db);
    return rows.map((r) => r.subscriberId);
  }
}

/** Marks a reader's model for a full retrain: a word it learned was taken back or changed. */
async function invalidateModel(trx: Kysely<Database>, subscriberId: number): Promise<void> {
  await trx
    .updateTable('reader_models')
    .set({ trained_through: null })
    .where('subscriber_id', '=', subscriberId)
    .execute();
}
