import { CrawlRepository } from '@paperboy/db';
import type { ExtractResult } from '@paperboy/sources';
import type { Crawl } from './begin.js';
import type { CrawlDeps } from './deps.js';

/**
 * Is a crawl's result believable? A page that yields far fewer entries than its source usually
 * does, or whose adapter had to fall back or found nothing, is suspect: probably a changed layout,
 * not a quiet day. A quiet day is an adapter saying "zero, and that is normal" (an empty weekend feed).
 */
export interface CrawlJudgement {
  outcome: 'ok' | 'quiet';
  suspect: boolean;
  reason: string | null;
}

/** Below this share of the recent median a crawl is suspect. */
export const SUSPECT_SHARE = 0.5;
/** Samples needed before "usual" means anything. */
export const MIN_SAMPLES = 3;

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function judgeCrawl(
  found: { entries: number; warnings: readonly string[]; quiet: boolean },
  recentEntries: readonly number[],
): CrawlJudgement {
  if (found.entries === 0 && found.quiet && found.warnings.length === 0)
    return { outcome: 'quiet', suspect: false, reason: null };
  if (found.entries === 0) {
    return {
      outcome: 'ok',
      suspect: true,
      reason: found.warnings[0] ?? 'no entries found: has the page layout changed?',
    };
  }
  if (found.warnings.length > 0) return { outcome: 'ok', suspect: true, reason: found.warnings[0]! };
  if (recentEntries.length >= MIN_SAMPLES) {
    const usual = median(recentEntries);
    if (found.entries < usual * SUSPECT_SHARE) {
      return { outcome: 'ok', suspect: true, reason: `found ${found.entries} entries where about ${usual} is usual` };
    }
  }
  return { outcome: 'ok', suspect: false, reason: null };
}

/**
 * The health verdict stage: judges what the adapter found against the source's recent crawls. An
 * empty page that is not a quiet day gets a warning naming it (the one a summary reports).
 */
export async function judgeHealth(
  deps: Pick<CrawlDeps, 'db'>,
  crawl: Pick<Crawl, 'adapter' | 'payload'>,
  page: { finalUrl: string },
  extracted: ExtractResult,
): Promise<CrawlJudgement> {
  const { entries, warnings } = extracted;
  const recent = await new CrawlRepository(deps.db).recentEntryCounts(crawl.payload.source);
  const judgement = judgeCrawl({ entries: entries.length, warnings, quiet: extracted.quiet ?? false }, recent);
  if (entries.length === 0 && judgement.outcome !== 'quiet')
    warnings.push(`${crawl.adapter.id}: no entries found on ${page.finalUrl}`);
  return judgement;
}
