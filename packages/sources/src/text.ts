import { decodeHTMLStrict } from 'entities';

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
  if (!trimmed) return undefined;
  let url: URL;
  try {
    url = new URL(trimmed, base);
  } catch {
    return undefined;
  }
  return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : undefined;
}

const SCALE: Record<string, number> = { k: 1e3, m: 1e6, b: 1e9 };
const COUNT = /(\d+(?:\.\d+)?)\s*([kmb])?(?![a-z])/i;

/**
 * Parse a displayed count: 12, "12", "1,234", "1.2k", "3M", " 7 comments".
 * Returns undefined when there is no non-negative number in it.
 */
export function toInt(value: unknown): number | undefined {
  if (typeof value === 'number') {
    return Number.isFinite(value) && value >= 0 ? Math.round(value) : undefined;
  }
  if (typeof value !== 'string') return undefined;
  const match = COUNT.exec(value.replace(/(\d),(?=\d{3}\b)/g, '$1'));
  if (!match?.[1]) return undefined;
  const scale = match[2] ? (SCALE[match[2].toLowerCase()] ?? 1) : 1;
  return Math.round(Number(match[1]) * scale);
}
