import { boundDate, boundKey, clampCount, clampRank, FIELD_LIMITS, sanitizeText, truncateUtf8 } from './limits.js';
import { authorKey, cleanAbstract, cleanTitle, normalizeArxivId, normalizeAuthors, titleKey } from './normalize.js';

/** A raw entry as it arrives in a job payload: untrusted, every field may be wrong. */
export interface IncomingEntry {
  rank: number;
  externalId?: string | undefined;
  arxivId?: string | undefined;
  title?: string | undefined;
  abstract?: string | undefined;
  authors?: string[] | undefined;
  url?: string | undefined;
  upvotes?: number | undefined;
  comments?: number | undefined;
  publishedAt?: string | undefined;
  section?: string | undefined;
  categories?: string[] | undefined;
}

export interface NormalizedEntry {
  rank: number;
  arxivId: string | null;
  /** The source's own key for the item: what the alias table stores. */
  externalId: string;
  title: string;
  titleKey: string;
  abstract: string | null;
  authors: string[];
  authorKeys: string[];
  categories: string[];
  url: string | null;
  upvotes: number | null;
  comments: number | null;
  publishedAt: Date | null;
}

export type NormalizeResult = { ok: true; entry: NormalizedEntry } | { ok: false; reason: string };

/** A one-line field (id, URL, category): sanitized, cut, trimmed (inner spacing kept: ids stay as stored). */
const line = (raw: unknown, max: number): string => sanitizeText(raw, max).trim();

/** A URL is dropped, not cut, when it is too long: a cut URL points somewhere else. */
function boundUrl(raw: unknown): string | null {
  if (typeof raw !== 'string' || raw.trim().length > FIELD_LIMITS.url) return null;
  return line(raw, FIELD_LIMITS.url) || null;
}

/**
 * Every field sanitized and bounded (FIELD_LIMITS): whatever the raw entry holds, the result fits
 * its columns and indexes, so storing a batch never fails on one entry's data.
 */
export function normalizeEntry(raw: IncomingEntry): NormalizeResult {
  const arxivId = normalizeArxivId(raw.arxivId) ?? normalizeArxivId(raw.externalId);
  const title = cleanTitle(raw.title);
  // NFKD can make a key many times longer than its title: bounded in bytes for the btree indexes.
  const key = truncateUtf8(titleKey(title), FIELD_LIMITS.keyBytes).trim();
  if (!key) {
    return { ok: false, reason: arxivId ? `entry ${arxivId} has no title` : 'entry has neither title nor arXiv id' };
  }
  const authors = normalizeAuthors(raw.authors);
  const url = boundUrl(raw.url);
  const externalId = boundKey(arxivId ?? (line(raw.externalId, FIELD_LIMITS.keyBytes * 4) || url || `title:${key}`));
  return {
    ok: true,
    entry: {
      rank: clampRank(raw.rank),
      arxivId,
      externalId,
      title,
      titleKey: key,
      abstract: cleanAbstract(raw.abstract),
      authors,
      authorKeys: [...new Set(authors.map(authorKey).filter(Boolean))],
      categories: [
        ...new Set(
          (raw.categories ?? [])
            .slice(0, FIELD_LIMITS.categories * 4)
            .map((c) => line(c, FIELD_LIMITS.category))
            .filter(Boolean),
        ),
      ].slice(0, FIELD_LIMITS.categories),
      url,
      upvotes: clampCount(raw.upvotes),
      comments: clampCount(raw.comments),
      publishedAt: boundDate(raw.publishedAt),
    },
  };
}
