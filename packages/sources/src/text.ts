import { decodeHTMLStrict } from 'entities';

/**
 * Longest text, in UTF-16 code units, that the adapters read from each kind of field. Scraped
 * text is capped before any pattern runs over it, so a hostile page costs time in proportion
 * to these limits, not to its size; the limits are far above anything a real listing shows
 * (the processor applies its own, tighter ones when it stores).
 */
export const TEXT_LIMITS = Object.freeze({
  /** A section heading of an arXiv listing ("Fri, 22 Nov 2024 (showing 75 of 75 entries)"). */
  heading: 1_000,
  /** A title. */
  title: 4_000,
  /** An abstract or description. */
  abstract: 100_000,
  /** One author's name. */
  author: 1_000,
  /** A list of names in one string (an RSS `dc:creator`): thousands of names for large collaborations. */
  authorList: 200_000,
  /** An id, category, announce type, date or subject list as shown. */
  label: 10_000,
  /** The text a count is read from ("1,234", "1.2k votes"). */
  count: 1_000,
  /** An href or URL; a longer one counts as missing. */
  url: 8_192,
  /** A short summary (Hugging Face `ai_summary`), arXiv comments or a journal reference. */
  summary: 4_000,
  /** Most items an array field keeps (keywords, media URLs); more are dropped. */
  items: 50,
  /** The text a `generic` option's `pattern` is applied to. */
  patternInput: 4_096,
});

/**
 * The first `max` code units of `text`, never ending on half a surrogate pair or, when cut, on
 * whitespace. Scraped text goes through this before any regular expression, with a limit from
 * TEXT_LIMITS.
 */
export function capText(text: string, max: number): string {
  if (text.length <= max) return text;
  const code = text.charCodeAt(max - 1);
  // A high surrogate at the cut would be left without its low half.
  return text.slice(0, code >= 0xd800 && code <= 0xdbff ? max - 1 : max).trimEnd();
}

// Whitespace to fold: a run that starts with anything but a plain space, or a space followed
// by more whitespace. Single spaces (most of them) do not match, which keeps this cheap.
const WHITESPACE_TO_FOLD = /[^\S ]\s*| \s+/g;
// Strict decoding only touches complete references (`&amp;`, `&#38;`): text such as
// "R&D" or "&para" without a semicolon is left alone.
const ENTITY = /&(?:#\d+|#x[\da-f]+|[a-z][a-z\d]*);/i;

/**
 * Clean display text: decode entities that survived parsing (double-encoded sources,
 * JSON fields holding HTML), fold line breaks and runs of whitespace to one space, trim.
 * The result is plain text: `<script>` in it is just characters.
 */
export function cleanText(value: string | null | undefined): string {
  if (!value) return '';
  const decoded = value.includes('&') && ENTITY.test(value) ? decodeHTMLStrict(value) : value;
  return decoded.replace(WHITESPACE_TO_FOLD, ' ').trim();
}

const DESCRIPTOR =
  /^\s*(?:title|authors?|abstract|comments?|subjects?|journal-ref|doi|report-no|msc-class|acm-class)\s*:\s*/i;

/** Remove one leading label such as "Title:" or "Authors:" that listing pages put before a value. */
export function stripDescriptor(value: string): string {
  return value.replace(DESCRIPTOR, '');
}

/**
 * Resolve `href` against `base` with the URL parser. Returns undefined when the href is
 * missing, blank or unparsable, or when the result is not http(s) (`javascript:`, `mailto:`).
 */
export function absoluteUrl(href: string | null | undefined, base: string | URL): string | undefined {
  const trimmed = href?.trim();
  if (!trimmed || trimmed.length > TEXT_LIMITS.url) return undefined;
  let url: URL;
  try {
    url = new URL(trimmed, base);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  // Percent-encoding can make the result longer than the href.
  return url.href.length > TEXT_LIMITS.url ? undefined : url.href;
}

const SCALE: Record<string, number> = { k: 1e3, m: 1e6, b: 1e9 };
const COUNT = /(\d+(?:\.\d+)?)\s*([kmb])?(?![a-z])/i;

/**
 * Parse a displayed count: 12, "12", "1,234", "1.2k", "3M", " 7 comments".
 * Returns undefined when there is no non-negative number in it, or when it is not finite ("9999…"
 * of a hostile page is Infinity); a larger finite count is clamped to Number.MAX_SAFE_INTEGER.
 * Only the first TEXT_LIMITS.count characters of a string are read.
 */
export function toInt(value: unknown): number | undefined {
  let count: number;
  if (typeof value === 'number') {
    if (!(value >= 0)) return undefined;
    count = Math.round(value);
  } else if (typeof value === 'string') {
    const match = COUNT.exec(capText(value, TEXT_LIMITS.count).replace(/(\d),(?=\d{3}\b)/g, '$1'));
    if (!match?.[1]) return undefined;
    const scale = match[2] ? (SCALE[match[2].toLowerCase()] ?? 1) : 1;
    count = Math.round(Number(match[1]) * scale);
  } else {
    return undefined;
  }
  // A finite count beyond what JavaScript counts exactly is clamped (the processor clamps further, to
  // its column); only a non-number ("9999…" a megabyte long is Infinity) is no count.
  return Number.isFinite(count) ? Math.min(count, Number.MAX_SAFE_INTEGER) : undefined;
}
