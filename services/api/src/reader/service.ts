import { type Db, lazyLinkSecret, ReaderRepository } from '@paperboy/db';
import { deserializeReaderModel, type FeedbackClaim, signToken } from '@paperboy/pipeline';
import { isRedisDown, type Queues, type RedisClient, trainReaderJobs } from '@paperboy/queue';
import type { CheckedLink } from '../subscriptions/service.js';
import { type LearnedTerm, learnedTerms } from './learned-terms.js';

/**
 * How long opposite words on one paper, from the mail's links, count as a mail scanner's. Scanners
 * (Microsoft Defender, Proofpoint, Mimecast, Barracuda…) open every link of a mail within seconds
 * of its delivery, "more" and "less" alike; a person clicks one of them. `Sec-Fetch-User` cannot
 * tell them apart: headless Chromium sends `?1` on a scripted navigation as on a click (measured).
 */
export const SCANNER_WINDOW_MS = 120_000;
/** Latest words shown on "what paperboy learned". */
const LATEST_SHOWN = 20;
/** Papers whose words are looked up in the model for the strongest terms (the newest feedback). */
const PAPERS_FOR_TERMS = 200;

/** What opening a feedback link did. */
export type FeedbackOutcome =
  | { outcome: 'recorded' | 'unchanged'; title: string }
  /** Both "more" and "less" on this paper opened within the window (a mail scanner's way): neither kept. */
  | { outcome: 'scanner'; title: string }
  /** Redis (where the scanner check keeps its openings) is unreachable: nothing kept, the person confirms with the button. */
  | { outcome: 'confirm'; title: string }
  /** The paper was merged into another or deleted: nothing stored. */
  | { outcome: 'no-paper' };

/**
 * How the word came: `link`, the mail's link opened (by the reader, or by a scanner: a GET cannot
 * tell, see `SCANNER_WINDOW_MS`), or `button`, the "Was this you?" page's form (scanners do not submit forms).
 */
export type FeedbackOrigin = 'link' | 'button';

/** "What paperboy learned about you": the reader's words and the terms their model weighs most. */
export interface LearnedSummary {
  more: number;
  less: number;
  latest: Array<{ paperId: number; title: string; signal: 1 | -1; givenAt: string }>;
  /** Approximate: see `learnedTerms`. */
  termsFor: LearnedTerm[];
  termsAgainst: LearnedTerm[];
  /** Whether a model is stored (trained on the feedback so far, or about to be retrained). */
  model: boolean;
}

export type ReaderService = ReturnType<typeof createReaderService>;

/**
 * The reader's side of issue 14 behind the routes: the feedback links (record, undo, the mail
 * scanner defence), "what paperboy learned" and clearing it. Every change to a reader's words
 * enqueues their training (train-reader, deduplicated for a few seconds: a reader clicking through
 * a digest trains once); the stale sweep of plan-digests catches a training Redis lost.
 */
export function createReaderService(deps: {
  db: Db;
  secret: string | undefined;
  jobs: Queues;
  redis: RedisClient;
  keyPrefix: string;
  scannerWindowMs?: number;
  log: { warn(details: object, message: string): void };
}) {
  const readers = new ReaderRepository(deps.db);
  const linkSecret = lazyLinkSecret(deps.db, deps.secret);
  const windowMs = deps.scannerWindowMs ?? SCANNER_WINDOW_MS;
  /**
   * Queues the reader's training. Without Redis the word is still in Postgres, and the planner's
   * stale sweep queues the training once Redis is back: nothing is lost, the page still answers.
   */
  const train = async (subscriberId: number) => {
    try {
      if (isRedisDown(deps.redis)) throw new Error(`Redis is ${deps.redis.status}`);
      await deps.jobs.addBulk('train-reader', trainReaderJobs([subscriberId]));
    } catch (error) {
      deps.log.warn(
        { subscriberId, err: (error as Error).message },
        'train-reader not queued (Redis unreachable); the stale sweep of plan-digests queues it later',
      );
    }
  };

  /**
   * Notes a feedback link opened; true when this paper's "more" and "less" links were both opened
   * within the window (each opening extends it, so a scanner's second pass is caught too). Kept in
   * Redis with a TTL: a lost key only forgets a scan in progress.
   */
  async function openedBothWays(subscriberId: number, claim: FeedbackClaim): Promise<boolean> {
    const key = `${deps.keyPrefix}:feedback-opened:${subscriberId}:${claim.paperId}`;
    const replies = await deps.redis.multi().sadd(key, String(claim.signal)).pexpire(key, windowMs).scard(key).exec();
    const error = replies?.find(([e]) => e)?.[0];
    if (!replies || error) throw error ?? new Error('feedback: the Redis transaction was aborted');
    return Number(replies[2]![1]) > 1;
  }

  /** `openedBothWays`, or 'unknown' when Redis cannot answer (down, restarting). */
  async function scannerCheck(subscriberId: number, claim: FeedbackClaim): Promise<'scanner' | 'person' | 'unknown'> {
    try {
      if (isRedisDown(deps.redis)) throw new Error(`Redis is ${deps.redis.status}`);
      return (await openedBothWays(subscriberId, claim)) ? 'scanner' : 'person';
    } catch (error) {
      deps.log.warn(
        { subscriberId, err: (error as Error).message },
        'feedback scanner check unavailable (Redis unreachable): asking the reader to confirm',
      );
      return 'unknown';
    }
  }

  return {
    /**
     * Records the reader's word from a feedback link. A link whose opposite was opened on the same
     * paper within the window is a mail scanner's: the word the first one recorded is dropped too,
     * and the page asks the person to press its button (`origin` 'button', always recorded). When
     * Redis cannot answer the check, nothing is kept either and the page asks the person to confirm.
     */
    async giveFeedback(link: CheckedLink, origin: FeedbackOrigin): Promise<FeedbackOutcome> {
      const claim = feedbackOf(link);
      const scan = origin === 'link' ? await scannerCheck(link.subscriberId, claim) : 'person';
      if (scan === 'unknown') {
        // The scanner check cannot run: keeping the word could keep a scanner's, so the person confirms.
        const title = await readers.paperTitle(claim.paperId);
        return title === null ? { outcome: 'no-paper' } : { outcome: 'confirm', title };
      }
      if (scan === 'scanner') {
        const title = await readers.paperTitle(claim.paperId);
        if (title === null) return { outcome: 'no-paper' };
        // The scanner's first opening stored a word: take it back (the word it replaced, if any, is
        // the reader's again).
        const opposite = -claim.signal as 1 | -1;
        const undone = await readers.undoFeedback(link.subscriberId, claim.paperId, opposite, {
          givenWithinSeconds: Math.ceil(windowMs / 1000),
        });
        if (undone) await train(link.subscriberId);
        return { outcome: 'scanner', title };
      }
      const recorded = await readers.recordFeedback(link.subscriberId, claim.paperId, claim.signal);
      if (!recorded) return { outcome: 'no-paper' };
      if (recorded.outcome === 'recorded') await train(link.subscriberId);
      return { outcome: recorded.outcome, title: recorded.title };
    },

    /**
     * Takes back the link's word if it is still the reader's word on the paper; `restored` is the
     * earlier word it had replaced, the reader's word again (null when the paper now has none).
     */
    async undoFeedback(link: CheckedLink): Promise<{ undone: boolean; restored: 1 | -1 | null; title: string | null }> {
      const claim = feedbackOf(link);
      const undone = await readers.undoFeedback(link.subscriberId, claim.paperId, claim.signal);
      if (undone) await train(link.subscriberId);
      return {
        undone: undone !== null,
        restored: undone?.signal ?? null,
        title: await readers.paperTitle(claim.paperId),
      };
    },

    /** A preferences link for the landing pages (the feedback link's version: revoked together). */
    async preferencesToken(link: CheckedLink): Promise<string> {
      return signToken(await linkSecret(), 'preferences', link.subscriberId, null, link.tokenVersion);
    },

    async learned(subscriberId: number): Promise<LearnedSummary> {
      const summary = await readers.feedbackSummary(subscriberId, LATEST_SHOWN);
      const stored = await readers.readerModel(subscriberId);
      const model = stored ? deserializeReaderModel(stored) : null;
      const papers = model ? await readers.feedbackForTraining(subscriberId, null, PAPERS_FOR_TERMS) : [];
      const terms = learnedTerms(model, papers);
      return { ...summary, termsFor: terms.for, termsAgainst: terms.against, model: stored !== null };
    },

    /** "Clear what paperboy learned": the reader's words and model go; their digest is ranked as at the start. */
    async clearLearned(subscriberId: number): Promise<{ feedback: number; models: number }> {
      return readers.clearLearned(subscriberId);
    },
  };
}

function feedbackOf(link: CheckedLink): FeedbackClaim {
  // requireSignedLink(…, 'feedback') only passes links whose signature covers a claim.
  if (!link.feedback) throw new Error('a feedback route reached without a feedback claim');
  return link.feedback;
}
