import type { Db } from '@paperboy/db';
import { DigestCandidates } from '@paperboy/notifier';
import { signToken } from '@paperboy/pipeline';
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
}

/**
 * A reader's personal ranking, best first, at most `limit` papers. The one place that asks the
 * notifier for it.
 *
 * TODO(lead): switch to `candidates.feedPapers(subscriberId, limit)` once the "digest" helper's
 * DigestCandidates.feedPapers is on main: it ranks the current candidates ignoring what was already
 * mailed and since when. `digestPapers` (today's) is the reader's *next digest*: papers seen since
 * their last one and never mailed to them, up to their maximum; so this feed misses what their
 * digests already carried.
 */
export function personalRanking(db: Db): (subscriberId: number, limit: number) => Promise<PersonalPick[]> {
  const candidates = new DigestCandidates(db);
  return async (subscriberId, limit) => {
    const papers = await candidates.digestPapers(subscriberId);
    // `why` arrives with the digest helper's ranking; read without requiring it, so this compiles either way.
    return papers.slice(0, limit).map((p) => ({ id: p.id, why: (p as { why?: string | null }).why ?? null }));
  };
}
