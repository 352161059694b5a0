import type { Db } from '@paperboy/db';
import { DigestCandidates } from '@paperboy/notifier';
import { type RankingWeights, signToken } from '@paperboy/pipeline';
import type { FeedFormat } from './render.js';

/**
 * A subscriber's private feed URL (for the preferences page): signed for the purpose 'feed' with
 * their current token version and no expiry, so it works until "Sign out every link" revokes it.
 */
export function privateFeedUrl(
  publicUrl: string,
  secret: string,
  subscriberId: number,
  tokenVersion: number,
  format: FeedFormat,
): string {
  const token = signToken(secret, 'feed', subscriberId, null, tokenVersion);
  return `${publicUrl.replace(/\/+$/, '')}/feeds/me.${format}?token=${encodeURIComponent(token)}`;
}

/** A paper of a reader's personal ranking: its row id and, when the ranking gives one, why it was picked. */
export interface PersonalPick {
  id: number;
  why: string | null;
  /** The paper's topics the reader follows, as their digest shows them (all of them when they follow none). */
  topics: string[];
}

/**
 * A reader's personal ranking, best first, at most `limit` papers: the ranking their digests use,
 * over the current candidates, with what was already mailed and since when ignored (a feed shows the
 * best of now, not only what is new since the last digest). The one place that asks the notifier.
 */
export function personalRanking(
  db: Db,
  weights: RankingWeights,
): (subscriberId: number, limit: number) => Promise<PersonalPick[]> {
  const candidates = new DigestCandidates(db, { weights });
  return async (subscriberId, limit) =>
    (await candidates.feedPapers(subscriberId, limit)).map((p) => ({ id: p.id, why: p.why, topics: p.topics }));
}
