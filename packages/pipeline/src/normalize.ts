import { FIELD_LIMITS, sanitizeText, truncate } from './limits.js';

/**
 * Normalization of raw listing entries: arXiv ids, titles, authors. Pure.
 * Every function here takes untrusted text: it is cut to its limit (FIELD_LIMITS) before any
 * regular expression runs, and every pattern is linear (no nested or overlapping quantifiers
 * followed by something that can fail).
 */

const NEW_STYLE = /^(\d{4})\.(\d{4,5})$/;
const OLD_STYLE = /^([a-z]+(?:-[a-z]+)*(?:\.[A-Z]{2})?)\/(\d{7})$/;

/**
 * The paper's identity: its arXiv id without version. Accepts `arXiv:2411.01234v2`,
 * `https://arxiv.org/abs/2411.01234v2`, `/pdf/2411.01234.pdf`, old style `hep-th/9901001v1`.
 * Returns null for anything that is not an arXiv id.
 */
export function normalizeArxivId(raw: string | null | undefined): string | null {
  // Longer than any id with its URL around it: not an id (and no pattern runs on it).
  if (!raw || typeof raw !== 'string' || raw.length > FIELD_LIMITS.arxivIdInput) return null;
  let id = raw.trim();
  id = id.replace(/^https?:\/\/(?:www\.|export\.)?arxiv\.org\//i, '/');
  id = id.replace(/^\/?(?:abs|pdf|html|format)\//i, '');
  id = id.replace(/^arxiv:\s*/i, '');
  // Query and fragment cut at the first ? or # (a `[?#].*$` pattern backtracks over line breaks).
  const query = id.search(/[?#]/);
  if (query >= 0) id = id.slice(0, query);
  id = id.replace(/\.pdf$/i, '');
  id = id.replace(/v\d+$/i, '');
  if (NEW_STYLE.test(id)) {
    const [, yymm, number] = NEW_STYLE.exec(id)!;
    const month = Number(yymm!.slice(2));
    if (month < 1 || month > 12) return null;
    // Four-digit numbers were used until 1412, five-digit from 1501.
    if (Number(yymm) >= 1501 ? number!.length !== 5 : number!.length !== 4) return null;
    return id;
  }
  const old = OLD_STYLE.exec(id);
  if (old) {
    const [, archive, number] = old;
    return `${archive!.toLowerCase().replace(/\.([a-z]{2})$/i, (_, sub: string) => `.${sub.toUpperCase()}`)}/${number}`;
  }
  return null;
}

/** Folds line breaks and runs of whitespace, removes a leading "Title:" descriptor. */
export function cleanTitle(raw: string | null | undefined): string {
  return cleanField(raw, /^\s*title\s*:\s*/i, FIELD_LIMITS.title);
}

export function cleanAbstract(raw: string | null | undefined): string | null {
  return cleanField(raw, /^\s*abstract\s*:\s*/i, FIELD_LIMITS.abstract) || null;
}

/**
 * Sanitized (see sanitizeText), descriptor removed, whitespace folded, at most `max` characters.
 * The input is cut to a few times `max` first: folding may shorten it, but never work on megabytes.
 */
function cleanField(raw: unknown, descriptor: RegExp, max: number): string {
  const text = sanitizeText(raw, max * 4);
  if (!text) return '';
  return truncate(foldWhitespace(text.replace(descriptor, '')), max).trim();
}

// A run that starts with anything but a plain space, or a space followed by more whitespace:
// single spaces (nearly all of them) do not match, which keeps this cheap on long abstracts.
const WHITESPACE_TO_FOLD = /[^\S ][\s\u200b]*| [\s\u200b]+|\u200b+/g;

export function foldWhitespace(text: string): string {
  return text.replace(WHITESPACE_TO_FOLD, ' ').trim();
}

function stripDiacritics(text: string): string {
  return text.normalize('NFKD').replace(/[\u0300-\u036f]/g, '');
}

/**
 * The key two listings of one paper share even when they typeset its title
 * differently: case, accents, TeX markup, punctuation and spacing are dropped.
 */
export function titleKey(title: string): string {
  return stripDiacritics(title)
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/**
 * Cleans author names and drops empties, keeping the source's order and its repeats: homonymous
 * co-authors exist (two "Wei Wang" on one paper) and are two authors.
 */
export function normalizeAuthors(raw: readonly unknown[] | null | undefined): string[] {
  if (!Array.isArray(raw)) return [];
  const names: string[] = [];
  // Looks at a bounded number of items, so a list of a million repeats costs no more than a long one.
  for (const item of raw.slice(0, FIELD_LIMITS.authors * 4)) {
    if (names.length >= FIELD_LIMITS.authors) break;
    const name = trimSeparators(cleanField(item, /^\s*authors?\s*:\s*/i, FIELD_LIMITS.author));
    if (!name) continue;
    names.push(name);
  }
  return names;
}

/**
 * Drops trailing commas and semicolons (list separators left on a name). A loop, not `[,;]+$`:
 * that pattern retries from every comma of a long run that does not end the string (quadratic).
 */
function trimSeparators(name: string): string {
  let end = name.length;
  while (end > 0 && (name[end - 1] === ',' || name[end - 1] === ';')) end--;
  return end === name.length ? name : name.slice(0, end).trimEnd();
}

/** An author's family name, lowercased without accents: what the near-duplicate check compares. */
export function authorKey(name: string): string {
  const parts = stripDiacritics(name)
    .toLowerCase()
    .replace(/[^\p{L}\s-]+/gu, ' ')
    .trim()
    .split(/\s+/);
  return parts[parts.length - 1] ?? '';
}
