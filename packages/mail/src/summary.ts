import { singleLine, truncateAtWord } from './escape.js';

/**
 * Words that end with a full stop without ending a sentence ("e.g. BERT", "Smith et al. (2024)",
 * "Fig. 3"), compared lowercased and without the final stop.
 */
const ABBREVIATIONS = new Set([
  'e.g',
  'i.e',
  'cf',
  'vs',
  'al',
  'etc',
  'approx',
  'resp',
  'w.r.t',
  'fig',
  'figs',
  'eq',
  'eqs',
  'sec',
  'tab',
  'no',
  'dr',
  'prof',
  'mr',
  'ms',
  'st',
  'ref',
  'refs',
]);

// A stop, then optional closing quotes or brackets, then white space and what can start a sentence.
const BOUNDARY = /[.!?]["'’”)\]]*\s+(?=["'‘“([]?[\p{Lu}\p{N}])/gu;

/** The sentences of a text (one line), split where a sentence ends; abbreviations and initials do not end one. */
export function splitSentences(value: string): string[] {
  const text = singleLine(value);
  const sentences: string[] = [];
  let start = 0;
  for (const match of text.matchAll(BOUNDARY)) {
    const stop = match.index;
    const word = /(\S+)$/.exec(text.slice(start, stop))?.[1] ?? '';
    const bare = word.replace(/^["'‘“([]+/, '');
    // "J. Smith", "U.S. data": a capital letter alone, or dotted letters, before the stop is not a sentence's end.
    const initial = /^\p{Lu}$/u.test(bare) || /^(\p{L}\.)+\p{L}$/u.test(bare);
    if (text[stop] === '.' && (ABBREVIATIONS.has(bare.toLowerCase()) || initial)) {
      continue;
    }
    const end = stop + match[0].trimEnd().length;
    sentences.push(text.slice(start, end));
    start = end + (match[0].length - match[0].trimEnd().length);
  }
  if (start < text.length) sentences.push(text.slice(start));
  return sentences.filter(Boolean);
}

/**
 * A one- or two-sentence summary of at most `max` characters: the first sentence, and the second
 * when both fit. Whole sentences carry their own full stop and no ellipsis; a first sentence
 * longer than `max` is cut at a word boundary and ends with "…" (never mid-word).
 */
export function shortSummary(value: string, max: number): string {
  const [first, second] = splitSentences(value);
  if (!first) return '';
  if (first.length > max) return truncateAtWord(first, max);
  if (second && first.length + 1 + second.length <= max) return `${first} ${second}`;
  return first;
}

/**
 * Authors as a byline: "A", "A and B", "A, B and C", and past `max` names "A, B, C et al.".
 * Names are kept as given and in order: two co-authors with one name are two people.
 */
export function shortAuthors(authors: readonly string[], max: number): string {
  const names = authors.map(singleLine).filter(Boolean);
  if (names.length > max) return `${names.slice(0, max).join(', ')} et al.`;
  if (names.length <= 1) return names[0] ?? '';
  return `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}

// New-style (2611.01234, 0704.0001) and old-style (hep-th/9901001, math.GT/0309136) ids, optionally versioned.
const ARXIV_ID = /^(?:arxiv:)?(\d{4}\.\d{4,5}|[a-z-]+(?:\.[a-z]{2})?\/\d{7})(?:v\d+)?$/i;

/** The arXiv id without its version ("2611.01234v2" → "2611.01234"), or null when it is not an arXiv id. */
export function arxivBaseId(value: string | null | undefined): string | null {
  const match = ARXIV_ID.exec(singleLine(value ?? ''));
  return match ? match[1]! : null;
}

/** "1234" → "1,234", "15600" → "15.6k": compact, as star counts are shown. */
export function compactCount(count: number): string {
  if (count < 10_000) return count.toLocaleString('en-US');
  if (count < 1_000_000) return `${Number((count / 1000).toFixed(1))}k`;
  return `${Number((count / 1_000_000).toFixed(1))}M`;
}
