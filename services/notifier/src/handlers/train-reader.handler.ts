import { type Db, type FeedbackOnPaper, ReaderRepository } from '@paperboy/db';
import { jobLogger, type Logger } from '@paperboy/logger';
import {
  deserializeReaderModel,
  emptyReaderModel,
  paperFeatures,
  type ReaderModel,
  serializeReaderModel,
  trainReaderModel,
} from '@paperboy/pipeline';
import type { Job, TrainReaderPayload, TrainReaderResult } from '@paperboy/queue';

/** Words a full retrain learns from at most (the newest): bounds a run whatever a reader clicked. */
export const FULL_RETRAIN_WORDS = 2000;
/** Stores lost to a concurrent training or undo before the job gives up (and is retried). */
const MAX_CONFLICTS = 5;

const examplesOf = (rows: readonly FeedbackOnPaper[]) =>
  rows.map((row) => ({ features: paperFeatures(row), signal: row.signal }));

/**
 * train-reader: brings one reader's model up to their feedback, off the send path.
 * - Incremental: the stored model learns the words given after its `trained_through`, oldest first.
 * - Full: no model yet, a model of another feature kind, or one an undo or a flipped word marked
 *   (`trained_through` NULL): from an empty model over the newest FULL_RETRAIN_WORDS words.
 * - Every word undone: the model is deleted (the digest falls back to cold start).
 * The store is a compare-and-set on the row read: a concurrent training or undo makes it fail, and
 * the run starts over from what is stored then, so a model never goes backwards and never keeps a
 * word taken back. A re-run with nothing new changes nothing.
 */
export function createTrainReaderHandler(deps: { db: Db; logger: Logger }) {
  const readers = new ReaderRepository(deps.db);
  return async (payload: TrainReaderPayload, job: Job): Promise<TrainReaderResult> => {
    const log = jobLogger(deps.logger, job);
    const { subscriberId } = payload;
    for (let conflicts = 0; conflicts < MAX_CONFLICTS; conflicts++) {
      const stored = await readers.readerModel(subscriberId);
      const model: ReaderModel | null =
        stored && stored.trainedThrough !== null ? deserializeReaderModel(stored) : null;
      let result: Omit<TrainReaderResult, 'conflicts'>;
      let done: boolean;
      if (model && stored?.trainedThrough) {
        const rows = await readers.feedbackForTraining(subscriberId, stored.trainedThrough, FULL_RETRAIN_WORDS);
        if (rows.length === 0) return { mode: 'none', examples: 0, conflicts };
        const trained = trainReaderModel(model, examplesOf(rows));
        done = await readers.storeReaderModel(
          subscriberId,
          serializeReaderModel(trained),
          rows.at(-1)!.givenAt,
          stored.version,
        );
        result = { mode: 'incremental', examples: rows.length };
      } else {
        const rows = await readers.feedbackForTraining(subscriberId, null, FULL_RETRAIN_WORDS);
        if (rows.length === 0) {
          if (!stored) return { mode: 'none', examples: 0, conflicts };
          done = await readers.deleteReaderModel(subscriberId, stored.version);
          result = { mode: 'cleared', examples: 0 };
        } else {
          const trained = trainReaderModel(emptyReaderModel(), examplesOf(rows));
          done = await readers.storeReaderModel(
            subscriberId,
            serializeReaderModel(trained),
            rows.at(-1)!.givenAt,
            stored?.version ?? null,
          );
          result = { mode: 'full', examples: rows.length };
        }
      }
      if (done) {
        log.info({ subscriberId, ...result, conflicts }, 'reader model trained');
        return { ...result, conflicts };
      }
    }
    throw new Error(
      `train-reader: the model of subscriber ${subscriberId} changed under ${MAX_CONFLICTS} trainings in a row; retrying`,
    );
  };
}
