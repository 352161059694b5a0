import { stem, tokenize } from '../classify/text.js';

/**
 * Features of a paper for a reader's model: hashed unigrams and bigrams of its stemmed title and
 * abstract (the title counted twice: it is what a reader judges first), sublinear term frequency
 * (1 + ln tf), L2-normalised.
 *
 * Hashed rather than TF-IDF: a TF-IDF vocabulary and its document frequencies change with every
 * day's papers, so a model trained last month would index a different space, and every process
 * would have to share the vocabulary. Hashing needs no state, gives the same vector for the same
 * text in every process and every month, so a stored model stays valid and can be updated
 * incrementally; 2^20 buckets keep collisions rare for the few thousand features one reader's
 * feedback touches. What IDF would add (rare words count more) the model learns from the feedback.
 */
export const FEATURE_KIND = 'hashed-ngrams-v1';
const BUCKETS = 1 << 20;

/** A sparse vector: bucket → value. */
export type SparseVector = Map<number, number>;

export interface PaperText {
  title: string;
  abstract: string | null;
}

/** Words that say nothing about a paper's subject (after stemming), left out of the features. */
const STOPWORDS = new Set(
  (
    'a an and are as at be by can for from has have how in into is it its of on or our that the their this to ' +
    'we what when which while with without via using use us both these those than then also more most such ' +
    'propos present show new approach method paper result work based achiev state art demonstrat experiment ' +
    'perform task model'
  )
    .split(' ')
    .map(stem),
);

/** FNV-1a over the UTF-16 code units, into BUCKETS. */
function bucketOf(term: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < term.length; i++) {
    hash ^= term.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % BUCKETS;
}

/** The stemmed words of a text, without stopwords and one-letter tokens. */
export function contentWords(text: string): string[] {
  return tokenize(text)
    .map(stem)
    .filter((w) => w.length > 1 && !STOPWORDS.has(w));
}

function addTerms(counts: Map<number, number>, words: readonly string[], times: number): void {
  for (let i = 0; i < words.length; i++) {
    const uni = bucketOf(words[i]!);
    counts.set(uni, (counts.get(uni) ?? 0) + times);
    if (i + 1 < words.length) {
      const bi = bucketOf(`${words[i]} ${words[i + 1]}`);
      counts.set(bi, (counts.get(bi) ?? 0) + times);
    }
  }
}

export function paperFeatures(paper: PaperText): SparseVector {
  const counts = new Map<number, number>();
  addTerms(counts, contentWords(paper.title), 2);
  if (paper.abstract) addTerms(counts, contentWords(paper.abstract), 1);
  let norm = 0;
  for (const [id, tf] of counts) {
    const value = 1 + Math.log(tf);
    counts.set(id, value);
    norm += value * value;
  }
  norm = Math.sqrt(norm);
  if (norm > 0) for (const [id, value] of counts) counts.set(id, value / norm);
  return counts;
}

/** The bucket of one word or two-word phrase as the features index it (to show what a model learned). */
export function termBucket(term: string): number | null {
  const words = contentWords(term);
  if (words.length === 1) return bucketOf(words[0]!);
  if (words.length === 2) return bucketOf(`${words[0]} ${words[1]}`);
  return null;
}

/** Cosine similarity of two L2-normalised vectors. */
export function cosine(a: SparseVector, b: SparseVector): number {
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  let sum = 0;
  for (const [id, value] of small) {
    const other = large.get(id);
    if (other !== undefined) sum += value * other;
  }
  return sum;
}
