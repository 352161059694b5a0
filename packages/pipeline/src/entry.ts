import { boundDate, boundKey, clampCount, clampRank, FIELD_LIMITS, sanitizeText, truncateUtf8 } from './limits.js';
import {
  authorKey,
  cleanAbstract,
  cleanTitle,
  foldWhitespace,
  normalizeArxivId,
  normalizeAuthors,
  titleKey,
} from './normalize.js';

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
  primaryCategory?: string | undefined;
  version?: number | undefined;
  arxivComments?: string | undefined;
  journalRef?: string | undefined;
  doi?: string | undefined;
  license?: string | undefined;
  githubRepo?: string | undefined;
  githubStars?: number | undefined;
  projectPage?: string | undefined;
  aiSummary?: string | undefined;
  aiKeywords?: string[] | undefined;
  organization?: string | undefined;
  submittedBy?: string | undefined;
  thumbnail?: string | undefined;
  mediaUrls?: string[] | undefined;
}

/**
 * What a source gives beyond the listing (issue 13), bounded: null or [] when it gives none.
 * Stored on the paper (current values) and in paper_facts (every source's, with its time).
 */
export interface EntryDetails {
  codeUrl: string | null;
  codeStars: number | null;
  projectPage: string | null;
  aiSummary: string | null;
  aiKeywords: string[];
  organization: string | null;
  submittedBy: string | null;
  thumbnail: string | null;
  mediaUrls: string[];
  primaryCategory: string | null;
  arxivComments: string | null;
  journalRef: string | null;
  doi: string | null;
  license: string | null;
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
  /** The arXiv version the entry shows (its `version`, else the `vN` of its raw id), or null. */
  version: number | null;
  details: EntryDetails;
}

export type NormalizeResult = { ok: true; entry: NormalizedEntry } | { ok: false; reason: string };

/** A one-line field (id, URL, category): sanitized, cut, trimmed (inner spacing kept: ids stay as stored). */
const line = (raw: unknown, max: number): string => sanitizeText(raw, max).trim();

/** A URL is dropped, not cut, when it is too long: a cut URL points somewhere else. */
function boundUrl(raw: unknown): string | null {
  if (typeof raw !== 'string' || raw.trim().length > FIELD_LIMITS.url) return null;
  return line(raw, FIELD_LIMITS.url) || null;
}

/** An http(s) URL within the limit, as the URL parser writes it, or null. */
function webUrl(raw: unknown): string | null {
  const url = boundUrl(raw);
  if (url === null) return null;
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return null;
    return parsed.href.length > FIELD_LIMITS.url ? null : parsed.href;
  } catch {
    return null;
  }
}

/** A short text: sanitized, whitespace folded, cut; null when empty. */
function shortText(raw: unknown, max: number): string | null {
  return foldWhitespace(sanitizeText(raw, max)) || null;
}

/** Distinct non-empty items in order, each bounded, at most `max` of them. */
function boundedList(raw: unknown, max: number, item: (value: unknown) => string | null): string[] {
  if (!Array.isArray(raw)) return [];
  const out = new Set<string>();
  for (const value of raw.slice(0, max * 4)) {
    const bounded = item(value);
    if (bounded !== null) out.add(bounded);
    if (out.size >= max) break;
  }
  return [...out];
}

/** The version: the entry's own, else the `vN` of the id it shows; null when neither is a sane one. */
function entryVersion(raw: IncomingEntry): number | null {
  let version: unknown = raw.version;
  if (version === undefined) {
    const id = typeof raw.arxivId === 'string' ? raw.arxivId : raw.externalId;
    const digits =
      typeof id === 'string' && id.length <= FIELD_LIMITS.arxivIdInput ? /v(\d{1,4})$/.exec(id)?.[1] : undefined;
    version = digits === undefined ? undefined : Number(digits);
  }
  return typeof version === 'number' && Number.isInteger(version) && version >= 1 && version <= FIELD_LIMITS.version
    ? version
    : null;
}

export function entryDetails(raw: IncomingEntry): EntryDetails {
  const label = (value: unknown) => shortText(value, FIELD_LIMITS.label);
  return {
    codeUrl: webUrl(raw.githubRepo),
    codeStars: clampCount(raw.githubStars),
    projectPage: webUrl(raw.projectPage),
    aiSummary: shortText(raw.aiSummary, FIELD_LIMITS.summary),
    aiKeywords: boundedList(raw.aiKeywords, FIELD_LIMITS.keywords, label),
    organization: label(raw.organization),
    submittedBy: label(raw.submittedBy),
    thumbnail: webUrl(raw.thumbnail),
    mediaUrls: boundedList(raw.mediaUrls, FIELD_LIMITS.media, webUrl),
    primaryCategory: shortText(raw.primaryCategory, FIELD_LIMITS.category),
    arxivComments: shortText(raw.arxivComments, FIELD_LIMITS.summary),
    journalRef: shortText(raw.journalRef, FIELD_LIMITS.summary),
    doi: label(raw.doi),
    license: webUrl(raw.license),
  };
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
      // Family-name keys for the near-duplicate check: a set (two "Wang"s are one key); the names keep repeats.
      authorKeys: [...new Set(authors.map(authorKey).filter(Boolean))],
      categories: [
        ...new Set(
          [...(typeof raw.primaryCategory === 'string' ? [raw.primaryCategory] : []), ...(raw.categories ?? [])]
            .slice(0, FIELD_LIMITS.categories * 4)
            .map((c) => line(c, FIELD_LIMITS.category))
            .filter(Boolean),
        ),
      ].slice(0, FIELD_LIMITS.categories),
      url,
      upvotes: clampCount(raw.upvotes),
      comments: clampCount(raw.comments),
      publishedAt: boundDate(raw.publishedAt),
      version: entryVersion(raw),
      details: entryDetails(raw),
    },
  };
}
