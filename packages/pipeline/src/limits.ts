import { createHash } from 'node:crypto';

/**
 * Bounds on every field of an entry, in one place (documented in packages/pipeline/README.md).
 * Scraped text is untrusted: each field is cut to its limit BEFORE any regular expression sees it,
 * and to what its Postgres column and indexes can hold, so that no single entry can fail a batch.
 */
export const FIELD_LIMITS = {
  /** Characters of a title (the unique and btree indexes are on its key, capped below). */
  title: 1_000,
  /** Characters of an abstract: far below tsvector's 1 MB limit (the search index). */
  abstract: 20_000,
  /** Author names kept per entry, and characters per name. */
  authors: 500,
  author: 300,
  /** Categories kept per entry, and characters per category code. */
  categories: 50,
  category: 100,
  /** Characters of a short text the sources give: an AI summary, arXiv comments, a journal reference. */
  summary: 4_000,
  /** Characters of a name or code: organization, submitter, DOI, keyword. */
  label: 300,
  /** Keywords and media URLs kept per entry. */
  keywords: 50,
  media: 20,
  /** Highest arXiv version taken as one (a larger number is no version). */
  version: 1_000,
  /** Characters of a URL; a longer one is dropped (a cut URL is a wrong URL). */
  url: 2_048,
  /** Characters of a raw arXiv id field; a longer one is not an id. */
  arxivIdInput: 256,
  /**
   * UTF-8 bytes of a value in a btree index (title key, alias external id). Postgres refuses index
   * entries over about 2,700 bytes (SQLSTATE 54000); this leaves room for the other key columns.
   */
  keyBytes: 1_000,
  /** Counts (upvotes, comments) are int4 columns: clamped into [0, 2^31 − 1]. */
  count: { min: 0, max: 2_147_483_647 },
  /** Ranks are int4 columns: clamped into [−2^31, 2^31 − 1]. */
  rank: { min: -2_147_483_648, max: 2_147_483_647 },
  /** Publication dates outside [1900-01-01, 2200-01-01) are dropped (JS writes year ≥ 10000 in a form Postgres refuses). */
  publishedAt: { min: Date.UTC(1900, 0, 1), max: Date.UTC(2200, 0, 1) },
  /** A rejected entry's raw data (jsonb): characters per string, items per array or object, nesting, values in all. */
  raw: { string: 2_000, items: 100, depth: 8, values: 2_000 },
  /** Characters of a rejection reason. */
  reason: 1_000,
} as const;

/** Cuts to at most `max` UTF-16 units without splitting a surrogate pair. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  const code = text.charCodeAt(max - 1);
  return text.slice(0, code >= 0xd800 && code <= 0xdbff ? max - 1 : max);
}

// C0 controls but tab, line feed and carriage return (whitespace, folded later), DEL and C1 controls.
// Postgres text cannot hold NUL at all; the others are invisible noise in a title or a name. Also the
// bidirectional marks, embeddings, overrides and isolates (U+061C, U+200E-F, U+202A-E, U+2066-9):
// a listing could make a title read differently from what it is (zero-width joiners stay: scripts
// and emoji need them).
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]+/g;
// A high surrogate not followed by a low one, or a low one not preceded by a high one: one
// character of look-around each, so linear. (String#toWellFormed is not in our ES2023 lib.)
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * Any untrusted text made storable: cut to `max` (before any pattern runs), lone surrogates
 * replaced by U+FFFD, control characters removed. Non-strings become ''.
 */
export function sanitizeText(raw: unknown, max: number): string {
  if (typeof raw !== 'string') return '';
  return truncate(raw, max).replace(LONE_SURROGATE, '\ufffd').replace(CONTROL, '');
}

export function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** Cuts to at most `maxBytes` of UTF-8, on a character boundary. */
export function truncateUtf8(text: string, maxBytes: number): string {
  if (text.length * 3 <= maxBytes || utf8Bytes(text) <= maxBytes) return text;
  let bytes = 0;
  let end = 0;
  for (const char of text) {
    const size = utf8Bytes(char);
    if (bytes + size > maxBytes) break;
    bytes += size;
    end += char.length;
  }
  return text.slice(0, end);
}

/**
 * A key that must fit a btree entry: kept whole when short enough, else cut and suffixed with a hash
 * of the whole, so two long keys that share a prefix stay two keys.
 */
export function boundKey(key: string): string {
  if (utf8Bytes(key) <= FIELD_LIMITS.keyBytes) return key;
  const hash = createHash('sha256').update(key).digest('hex').slice(0, 16);
  return `${truncateUtf8(key, FIELD_LIMITS.keyBytes - hash.length - 1)}#${hash}`;
}

/** A non-negative count clamped to the int4 column, or null when it is no count at all. */
export function clampCount(value: unknown): number | null {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) return null;
  return Math.min(Math.floor(value), FIELD_LIMITS.count.max);
}

export function clampRank(value: number): number {
  if (!Number.isFinite(value)) return value > 0 ? FIELD_LIMITS.rank.max : FIELD_LIMITS.rank.min;
  return Math.max(FIELD_LIMITS.rank.min, Math.min(FIELD_LIMITS.rank.max, Math.trunc(value)));
}

/** A date in the sane range, or null. */
export function boundDate(raw: unknown): Date | null {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > 64) return null;
  const date = new Date(raw);
  const time = date.getTime();
  return Number.isNaN(time) || time < FIELD_LIMITS.publishedAt.min || time >= FIELD_LIMITS.publishedAt.max
    ? null
    : date;
}

/**
 * A rejected entry's raw data made storable as jsonb, whatever it is: strings sanitized and cut,
 * arrays and objects cut to a number of items, nesting and the total number of values bounded
 * (Postgres refuses NUL in jsonb, and deep nesting exhausts its stack).
 */
export function sanitizeRaw(value: unknown): unknown {
  const limits = FIELD_LIMITS.raw;
  let budget = limits.values;
  const walk = (v: unknown, depth: number): unknown => {
    if (--budget < 0) return '[truncated]';
    if (typeof v === 'string') return sanitizeText(v, limits.string);
    if (typeof v === 'number') return Number.isFinite(v) ? v : null;
    if (v === null || typeof v === 'boolean') return v;
    if (typeof v !== 'object') return null;
    if (depth >= limits.depth) return '[truncated]';
    if (Array.isArray(v)) return v.slice(0, limits.items).map((item) => walk(item, depth + 1));
    const out: Record<string, unknown> = {};
    let n = 0;
    for (const key in v) {
      if (!Object.hasOwn(v, key)) continue;
      if (n++ >= limits.items) break;
      out[sanitizeText(key, limits.string)] = walk((v as Record<string, unknown>)[key], depth + 1);
    }
    return out;
  };
  return walk(value, 0);
}

/** A reason (ours, or a database error message that may quote the data) made storable. */
export function sanitizeReason(reason: string): string {
  return sanitizeText(reason, FIELD_LIMITS.reason);
}
