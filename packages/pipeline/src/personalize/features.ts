import { stem, tokenize } from '../classify/text.js';
import { FIELD_LIMITS } from '../limits.js';

/**
 * Features of a paper for a reader's model: hashed unigrams and bigrams of its stemmed title (counted
 * twice: it is what a reader judges first) and unigrams of its abstract, sublinear term frequency
 * (1 + ln tf), L2-normalised; plus one feature per topic of the paper (TOPIC_FEATURE_VALUE). The
 * abstract's bigrams were dropped after measuring: they were half of a paper's ~210 features and of
 * the ranking's cost, and a model without them was as good in `pnpm bench personalize-tune` (+0.070
 * against +0.067) with a third of the weights. The topics are the classifier's, the words are the
 * reader's taste within and across them: with the topic features the same few clicks lift
 * precision@10 over topics-only about half as much again (test/bench/README.md, "Personalize").
 *
 * Hashed rather than TF-IDF: a TF-IDF vocabulary and its document frequencies change with every
 * day's papers, so a model trained last month would index a different space, and every process
 * would have to share the vocabulary. Hashing needs no state, gives the same vector for the same
 * text in every process and every month, so a stored model stays valid and can be updated
 * incrementally; 2^20 buckets keep collisions rare for the few thousand features one reader's
 * feedback touches. What IDF would add (rare words count more) the model learns from the feedback.
 */
export const FEATURE_KIND = 'hashed-ngrams-v1';
/** Feature ids are below this. */
export const FEATURE_BUCKETS = 1 << 20;

/** A sparse vector: bucket → value. */
export type SparseVector = Map<number, number>;

export interface PaperText {
  title: string;
  abstract: string | null;
  /** The paper's topics (paper_topics), one feature each: pass them when training and when ranking. */
  topics?: readonly string[];
}

/**
 * The value of a topic's feature, beside the unit-length words. Outside the words' normalisation on
 * purpose: a vector made without topics has the same word values as one made with them, so a model
 * trained on either ranks the other consistently. 0.2 from `pnpm bench personalize-tune` (0.1 learned
 * less from the same clicks, 0.4 a little more but left less room for trending).
 */
export const TOPIC_FEATURE_VALUE = 0.2;

/** Words that say nothing about a paper's subject (after stemming), left out of the features. */
const STOPWORDS = new Set(
  (
    'a an and are as at be by can for from has have how in into is it its of on or our that the their this to ' +
    'we what when which while with without via using use us both these those than then also more most such ' +
    'propose present show novel new approach method paper result work based achieve state art demonstrate experiment ' +
    'perform performance task model'
  )
    .split(' ')
    .map(stem),
);

/**
 * Characters of a title or abstract that count: the stored abstract's limit (FIELD_LIMITS), enforced
 * here too because the features are computed from whatever a caller passes. Real abstracts are under
 * 2,000 characters; uncapped, a megabyte of text cost about a second.
 */
export const MAX_TEXT_CHARS = FIELD_LIMITS.abstract;

/** FNV-1a over the UTF-16 code units, into FEATURE_BUCKETS. */
function bucketOf(term: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < term.length; i++) {
    hash ^= term.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % FEATURE_BUCKETS;
}

/** The stemmed words of a text (its first MAX_TEXT_CHARS characters), without stopwords and one-letter tokens. */
export function contentWords(text: string): string[] {
  return contentOf(keywordWords(text));
}

/** Stemmed words without stopwords and one-letter tokens: what the features are made of. */
export function contentOf(words: readonly string[]): string[] {
  return words.filter((word) => word.length > 1 && !STOPWORDS.has(word));
}

/**
 * Every stemmed word of a text (its first MAX_TEXT_CHARS characters), stopwords included: what a
 * reader's keywords are matched against. A keyword is the words its reader typed: "world model"
 * must not shrink to "world" (that would match every paper saying "world") because "model" is a
 * stopword of the features.
 */
export function keywordWords(text: string): string[] {
  return tokenize(text.length > MAX_TEXT_CHARS ? text.slice(0, MAX_TEXT_CHARS) : text).map(stem);
}

function addTerms(counts: Map<number, number>, words: readonly string[], times: number, bigrams: boolean): void {
  for (let i = 0; i < words.length; i++) {
    const uni = bucketOf(words[i]!);
    counts.set(uni, (counts.get(uni) ?? 0) + times);
    if (bigrams && i + 1 < words.length) {
      const bi = bucketOf(`${words[i]} ${words[i + 1]}`);
      counts.set(bi, (counts.get(bi) ?? 0) + times);
    }
  }
}

export function paperFeatures(paper: PaperText): SparseVector {
  return featuresOfWords(
    contentWords(paper.title),
    paper.abstract ? contentWords(paper.abstract) : [],
    paper.topics ?? [],
  );
}

/** `paperFeatures` from the content words of the title and the abstract (when the caller has them already). */
export function featuresOfWords(
  titleWords: readonly string[],
  abstractWords: readonly string[],
  topics: readonly string[] = [],
): SparseVector {
  const counts = new Map<number, number>();
  addTerms(counts, titleWords, 2, true);
  addTerms(counts, abstractWords, 1, false);
  let norm = 0;
  for (const [id, tf] of counts) {
    const value = 1 + Math.log(tf);
    counts.set(id, value);
    norm += value * value;
  }
  norm = Math.sqrt(norm);
  if (norm > 0) for (const [id, value] of counts) counts.set(id, value / norm);
  // A topic's id cannot collide with a word's bucket by design, only by hash, like any two terms.
  for (const topic of new Set(topics)) {
    const id = topicBucket(topic);
    counts.set(id, (counts.get(id) ?? 0) + TOPIC_FEATURE_VALUE);
  }
  return counts;
}

/** The bucket of one word or two-word phrase as the features index it (to show what a model learned). */
export function termBucket(term: string): number | null {
  const words = contentWords(term);
  if (words.length === 1) return bucketOf(words[0]!);
  if (words.length === 2) return bucketOf(`${words[0]} ${words[1]}`);
  return null;
}

/** The bucket of a topic's feature (to show what a model learned about the reader's topics). */
export function topicBucket(topic: string): number {
  return bucketOf(`topic:${topic}`);
}

/**
 * A feature vector packed for being read many times: its ids ascending, with their values. What a
 * prepared digest candidate keeps: a `Map` of a paper's ~300 features costs about 17 KB of heap, these
 * two arrays 3.6 KB, and they are several times faster to walk.
 */
export interface PackedFeatures {
  readonly ids: Int32Array;
  readonly values: Float64Array;
}

export function packFeatures(features: SparseVector): PackedFeatures {
  const ids = Int32Array.from(features.keys()).sort();
  const values = new Float64Array(ids.length);
  for (let i = 0; i < ids.length; i++) values[i] = features.get(ids[i]!)!;
  return { ids, values };
}

/** The packed vector as a `Map` again (ids ascending), for training and `relevance()`. */
export function unpackFeatures(packed: PackedFeatures): SparseVector {
  const features: SparseVector = new Map();
  for (let i = 0; i < packed.ids.length; i++) features.set(packed.ids[i]!, packed.values[i]!);
  return features;
}

/**
 * Cosine similarity of two packed vectors, `b`'s ids in `leaveOutOfB` left out (0 when either is
 * empty): a merge of the two ascending id lists.
 */
export function packedCosine(a: PackedFeatures, b: PackedFeatures, leaveOutOfB?: ReadonlySet<number>): number {
  let sum = 0;
  let aNorm = 0;
  let bNorm = 0;
  for (let i = 0; i < a.ids.length; i++) aNorm += a.values[i]! * a.values[i]!;
  let i = 0;
  for (let j = 0; j < b.ids.length; j++) {
    const id = b.ids[j]!;
    if (leaveOutOfB?.has(id)) continue;
    const value = b.values[j]!;
    bNorm += value * value;
    while (i < a.ids.length && a.ids[i]! < id) i++;
    if (i < a.ids.length && a.ids[i] === id) sum += a.values[i]! * value;
  }
  const norms = Math.sqrt(aNorm * bNorm);
  return norms > 0 ? sum / norms : 0;
}
