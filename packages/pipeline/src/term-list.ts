import { tokenize } from './classify/text.js';
import { keywordWords } from './personalize/features.js';

/**
 * A reader's list preferences (followed authors, keywords, negative keywords) as the API, the page
 * and the CLI take them: the same rules everywhere, so a list stored by one is valid for the others,
 * and a list shown on the page (one item a line) is saved back unchanged.
 */

/** Items of a list at most, and characters of an item. */
export const MAX_TERMS = 50;
export const MAX_TERM_LENGTH = 100;
/**
 * Control characters, and invisible ones an address refuses too (format characters such as
 * zero-width spaces and bidi overrides, lone surrogates, U+FFFD): a keyword nobody can see or read
 * the right way round is a trap on the preferences page.
 */
const CONTROL_CHARACTER = /[\p{Cc}\p{Cf}\p{Cs}\uFFFD]/u;

export type TermListKind = 'authors' | 'keywords';

/**
 * How a list is written as text: one item a line, or separated by commas; authors by semicolons,
 * since names contain commas ("Smith, J."). An item may not contain its list's separator (it could
 * not be written back as text).
 */
const SEPARATOR: Record<TermListKind, { split: RegExp; character: string; name: string }> = {
  authors: { split: /\r?\n|;/, character: ';', name: 'a semicolon' },
  keywords: { split: /\r?\n|,/, character: ',', name: 'a comma' },
};

/**
 * Words every paper has: a keyword made only of them would match every paper (a negative one would
 * empty the digest). English function words, as a reader might type them.
 */
const TOO_COMMON = new Set(
  'a an and are as at be by for from has have in into is it its no not of on or our than that the their then these this those to via was we were what with'.split(
    ' ',
  ),
);

/**
 * Why a keyword cannot do what its reader means, or null. Keywords match the words of title and
 * abstract (letters and digits; everything else separates words), so one without a letter or digit
 * matches nothing, "C++" only the letter "c", and "the" every paper.
 */
function keywordProblem(item: string): string | null {
  if (/^not\s*:/i.test(item))
    return `"${item.slice(0, 20)}": write the keyword without "not:" (a keyword to avoid goes in the negative keywords)`;
  const words = tokenize(item).map((w) => w.toLowerCase());
  if (words.length === 0) return `"${item.slice(0, 20)}" has no letter or digit to match`;
  if (words.every((w) => w.length === 1))
    return `"${item.slice(0, 20)}" would match only "${words.join(' ')}" (punctuation is not matched): too short to mean it`;
  if (words.every((w) => TOO_COMMON.has(w)))
    return `"${item.slice(0, 20)}" is too common a word to match on: nearly every paper has it`;
  return null;
}

/** A list written as text (a textarea, a CLI option), as items. */
export function splitTermList(text: string, kind: TermListKind): string[] {
  return text.split(SEPARATOR[kind].split);
}

/**
 * Items trimmed, empty ones dropped, duplicates dropped case-insensitively (the first spelling
 * kept); an error when there are more than MAX_TERMS, or an item is longer than MAX_TERM_LENGTH
 * characters, holds a control character or the list's separator, or is a keyword that cannot match
 * what its reader means (`keywordProblem`).
 */
export function cleanTermList(
  items: readonly string[],
  kind: TermListKind,
): { ok: true; terms: string[] } | { ok: false; error: string } {
  const seen = new Set<string>();
  const terms: string[] = [];
  // Every refused item is named, in one answer: a reader fixes their list once.
  const problems: string[] = [];
  for (const raw of items) {
    const item = raw.trim();
    if (item === '') continue;
    const problem = itemProblem(item, kind);
    if (problem) {
      if (!problems.includes(problem)) problems.push(problem);
      continue;
    }
    const key = item.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    terms.push(item);
  }
  if (terms.length + problems.length > MAX_TERMS)
    problems.unshift(`at most ${MAX_TERMS} items, got ${terms.length + problems.length}`);
  return problems.length > 0 ? { ok: false, error: problems.join('; ') } : { ok: true, terms };
}

function itemProblem(item: string, kind: TermListKind): string | null {
  if (item.length > MAX_TERM_LENGTH) return `"${item.slice(0, 20)}…" is longer than ${MAX_TERM_LENGTH} characters`;
  if (CONTROL_CHARACTER.test(item)) return 'an item contains a control character';
  const { character, name } = SEPARATOR[kind];
  if (item.includes(character))
    return `"${item.slice(0, 20)}" contains ${name}, which separates the items of this list`;
  return kind === 'keywords' ? keywordProblem(item) : null;
}

/**
 * Why a reader's keywords and negative keywords contradict each other, or null: a keyword that is
 * also a negative keyword (the same words once stemmed: "Memory" and "memory", "diffusion models"
 * and "diffusion model") would never select a paper, since a negative keyword excludes first.
 */
export function keywordConflict(keywords: readonly string[], negativeKeywords: readonly string[]): string | null {
  const negatives = new Set(negativeKeywords.map((k) => keywordWords(k).join(' ')));
  const both = keywords.filter((k) => negatives.has(keywordWords(k).join(' ')));
  if (both.length === 0) return null;
  return `${both.map((k) => `"${k.slice(0, 20)}"`).join(', ')} ${both.length === 1 ? 'is' : 'are'} both a keyword and a negative keyword: a paper with ${both.length === 1 ? 'it' : 'them'} would be excluded; keep ${both.length === 1 ? 'it' : 'each'} in one list`;
}
