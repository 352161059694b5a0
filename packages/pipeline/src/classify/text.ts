/**
 * Text normalisation shared by the taxonomy compiler and the classifier.
 *
 * Both sides go through the same steps, so a keyword and the text it should
 * match end up in the same form:
 *   1. lower-case; drop HTML tags, HTML entities and TeX command names
 *      (`\textbf{Au}to` -> `auto`, `$\mathcal{O}(n)$` -> `o n`);
 *   2. split into word tokens: maximal runs of Unicode letters and digits
 *      (so "vision-language" is the two tokens "vision", "language");
 *   3. stem each token with a deliberately small, symmetric stemmer
 *      (plurals, -ing, -ed, doubled final consonants, final "e").
 */

const HTML_TAG_RE = /<\/?[a-z][^<>]{0,300}>/gi;
const HTML_ENTITY_RE = /&(?:#x?[0-9a-f]{1,6}|[a-z]{2,8});/gi;
const TEX_COMMAND_RE = /\\[a-z]+/gi;
const TEX_NOISE_RE = /[{}$^_\\]/g;
const TOKEN_RE = /[\p{L}\p{N}]+/gu;

/** Lower-cases and removes markup so only words remain meaningful. */
export function cleanText(text: string): string {
  let s = text.toLowerCase();
  if (s.includes('<')) s = s.replace(HTML_TAG_RE, ' ');
  if (s.includes('&')) s = s.replace(HTML_ENTITY_RE, ' ');
  if (s.includes('\\')) s = s.replace(TEX_COMMAND_RE, '');
  return s.replace(TEX_NOISE_RE, '');
}

/** Splits cleaned text into word tokens (letters and digits only). */
export function tokenize(text: string): string[] {
  return cleanText(text).match(TOKEN_RE) ?? [];
}

const VOWELS = 'aeiouy';

function undoubleFinal(w: string): string {
  const n = w.length;
  if (n < 4) return w;
  const last = w[n - 1]!;
  if (last === w[n - 2] && last !== 's' && !VOWELS.includes(last) && last >= 'a' && last <= 'z') {
    return w.slice(0, -1);
  }
  return w;
}

/**
 * A light stemmer. It only has to be consistent (keywords and text are
 * stemmed alike), not linguistically exact.
 *   studies -> study, searches -> search, losses -> loss, images -> imag,
 *   encoded/encoding/encode -> encod, modelling/modeled/model -> model.
 */
export function stem(word: string): string {
  let w = word;
  if (w.length <= 3) return w;
  // 1. plurals (and -ied)
  if ((w.endsWith('ies') || w.endsWith('ied')) && w.length > 4) {
    w = `${w.slice(0, -3)}y`;
    return w;
  }
  if (w.endsWith('sses')) {
    w = w.slice(0, -2);
  } else if (w.endsWith('ss') || w.endsWith('us') || w.endsWith('is') || w.endsWith('ias')) {
    // class, corpus, analysis, bias: not plurals
  } else if (
    w.endsWith('es') &&
    w.length > 4 &&
    (w[w.length - 3] === 'x' || w[w.length - 3] === 'z' || w.endsWith('ches') || w.endsWith('shes'))
  ) {
    w = w.slice(0, -2);
  } else if (w.endsWith('s')) {
    w = w.slice(0, -1);
  }
  // 2. -ing / -ed (after the plural, so "embeddings" -> "embedding" -> "embed")
  if (w.endsWith('ing') && w.length - 3 >= 3) {
    w = w.slice(0, -3);
  } else if (w.endsWith('ed') && w.length - 2 >= 3) {
    w = w.slice(0, -2);
  }
  // 3. normalise the ending
  w = undoubleFinal(w);
  if (w.length > 4 && w.endsWith('e')) w = w.slice(0, -1);
  return w;
}
