/**
 * A reader's list preferences (followed authors, keywords, negative keywords) as the API, the page
 * and the CLI take them: the same rules everywhere, so a list stored by one is valid for the others.
 */

/** Items of a list at most, and characters of an item. */
export const MAX_TERMS = 50;
export const MAX_TERM_LENGTH = 100;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it finds
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f]/;

/** Separators of text lists: a textarea's lines or commas; author lists also take semicolons (names contain commas). */
export const TERM_SEPARATORS = /\r?\n|,/;
export const AUTHOR_SEPARATORS = /\r?\n|[,;]/;

/**
 * Items trimmed, empty ones dropped, duplicates dropped case-insensitively (the first spelling
 * kept); an error when there are more than MAX_TERMS, one is longer than MAX_TERM_LENGTH
 * characters or holds a control character.
 */
export function cleanTermList(items: readonly string[]): { ok: true; terms: string[] } | { ok: false; error: string } {
  const seen = new Set<string>();
  const terms: string[] = [];
  for (const raw of items) {
    const item = raw.trim();
    if (item === '') continue;
    if (item.length > MAX_TERM_LENGTH)
      return { ok: false, error: `"${item.slice(0, 20)}…" is longer than ${MAX_TERM_LENGTH} characters` };
    if (CONTROL_CHARACTER.test(item)) return { ok: false, error: 'an item contains a control character' };
    const key = item.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    terms.push(item);
  }
  if (terms.length > MAX_TERMS) return { ok: false, error: `at most ${MAX_TERMS} items, got ${terms.length}` };
  return { ok: true, terms };
}
