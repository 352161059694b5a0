/**
 * Normalization of raw listing entries: arXiv ids, titles, authors. Pure.
 */

const NEW_STYLE = /^(\d{4})\.(\d{4,5})$/;
const OLD_STYLE = /^([a-z]+(?:-[a-z]+)*(?:\.[A-Z]{2})?)\/(\d{7})$/;

/**
 * The paper's identity: its arXiv id without version. Accepts `arXiv:2411.01234v2`,
 * `https://arxiv.org/abs/2411.01234v2`, `/pdf/2411.01234.pdf`, old style `hep-th/9901001v1`.
 * Returns null for anything that is not an arXiv id.
 */
export function normalizeArxivId(raw: string | null | undefined): string | null {
  if (!raw) return null;
  let id = raw.trim();
  id = id.replace(/^https?:\/\/(?:www\.|export\.)?arxiv\.org\//i, '/');
  id = id.replace(/^\/?(?:abs|pdf|html|format)\//i, '');
  id = id.replace(/^arxiv:\s*/i, '');
  id = id.replace(/\.pdf$/i, '');
  id = id.replace(/[?#].*$/, '');
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
  if (!raw) return '';
  return foldWhitespace(raw.replace(/^\s*title\s*:\s*/i, ''));
}

export function cleanAbstract(raw: string | null | undefined): string | null {
  if (!raw) return null;
  const text = foldWhitespace(raw.replace(/^\s*abstract\s*:\s*/i, ''));
  return text.length > 0 ? text : null;
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

/** Cleans author names, drops empties and repeats, keeps order. */
export function normalizeAuthors(raw: readonly unknown[] | null | undefined): string[] {
  if (!raw) return [];
  const seen = new Set<string>();
  const names: string[] = [];
  for (const item of raw) {
    if (typeof item !== 'string') continue;
    const name = foldWhitespace(item.replace(/^\s*authors?\s*:\s*/i, '')).replace(/[,;]+$/, '');
    if (!name) continue;
    const key = name.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    names.push(name);
  }
  return names;
}

/** An author's family name, lowercased without accents: what the near-duplicate check compares. */
export function authorKey(name: string): string {
  const parts = stripDiacritics(name).toLowerCase().replace(/[^\p{L}\s-]+/gu, ' ').trim().split(/\s+/);
  return parts[parts.length - 1] ?? '';
}
