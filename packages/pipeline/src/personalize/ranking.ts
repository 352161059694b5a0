import {
  contentOf,
  FEATURE_BUCKETS,
  featuresOfWords,
  keywordWords,
  type PackedFeatures,
  packedCosine,
  packFeatures,
  TOPIC_FEATURE_VALUE,
  topicBucket,
} from './features.js';
import type { ReaderModel } from './reader-model.js';

/**
 * A reader's digest ranking: the trending score blended with what this reader cares about.
 *
 *   blended = trending × t + relevance × r + author × [by an author they follow] + keyword × [matches a keyword]
 *
 * t = the paper's trending score ÷ the highest trending score among the candidates (0..1);
 * r = the reader's model on the paper's title and abstract, 2·sigmoid(w·x + b) − 1 (−1..1), 0 for a
 *     reader without feedback yet (cold start: topics, followed authors and keywords only).
 * The weights are the operator's (PAPERBOY_RANK_*); with relevance at 0 and no follows or keywords,
 * the blend orders papers exactly as the trending score does.
 *
 * Who qualifies: a paper by a followed author always does; otherwise a paper containing a negative
 * keyword never does, and the rest must reach the reader's minimum upvotes and match one of their
 * topics or keywords (any paper when they chose no topic: no topic means every topic).
 */
export interface RankingWeights {
  trending: number;
  relevance: number;
  author: number;
  keyword: number;
}

/**
 * Relevance at 2 from `pnpm bench personalize-tune`: at 1 the model's lead over topics-only is a
 * quarter smaller (+0.053 against +0.070), at 4 no larger while the digests keep fewer of the
 * trending papers (0.70 of the topics-only digest against 0.75; test/bench/README.md).
 */
export const DEFAULT_RANKING_WEIGHTS: RankingWeights = { trending: 1, relevance: 2, author: 0.5, keyword: 0.3 };

export interface ReaderProfile {
  topics: readonly string[];
  minUpvotes: number;
  followedAuthors: readonly string[];
  keywords: readonly string[];
  negativeKeywords: readonly string[];
  /** Null until the reader has given feedback (and the model has been trained on it). */
  model: ReaderModel | null;
  /** Papers the reader said "more like this" to, for the "like 'X' you liked" line (`packFeatures`). */
  liked: ReadonlyArray<{ title: string; features: PackedFeatures }>;
}

export interface RankCandidate {
  id: number;
  /** The trending score (TRENDING_SCORE_SQL). */
  score: number;
  topics: readonly string[];
  upvotes: number;
  title: string;
  abstract: string | null;
  authors: readonly string[];
}

export type PickReason = 'author' | 'keyword' | 'liked' | 'trending';

export interface RankedPick {
  id: number;
  blended: number;
  reason: PickReason;
  /** One short line: "by an author you follow (Ada Lovelace)", "matches “diffusion”", "like “X” you liked", "trending in llm". */
  why: string;
}

/** Letters NFKD does not take apart, as a reader without them on their keyboard writes them. */
const FOLDED: Record<string, string> = { ł: 'l', ø: 'o', đ: 'd', ð: 'd', þ: 'th', ß: 'ss', æ: 'ae', œ: 'oe', ı: 'i' };
/** Name suffixes after a comma that do not mean "Last, First" ("King, Jr."). */
const SUFFIXES = new Set(['jr', 'sr', 'ii', 'iii', 'iv']);

/**
 * A name as compared with followed authors. Case, accents (Ł and ø too), apostrophes and spacing do
 * not matter; "Last, First" (one comma) reads as "First Last"; initials are left out when two other
 * words remain ("C. Karen Liu" is "karen liu"), so a name with or without a middle initial matches,
 * while "J. Smith" keeps its initial (a surname alone would match every Smith).
 */
export function followedAuthorKey(name: string): string {
  let text = name;
  const parts = text.split(',');
  if (parts.length === 2) {
    const [last, first] = parts.map((p) => p.trim());
    const suffix = first!.toLowerCase().replace(/\./g, '');
    if (last && first && !SUFFIXES.has(suffix)) text = `${first} ${last}`;
  }
  const words = text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[łøđðþßæœı]/g, (c) => FOLDED[c]!)
    .replace(/['’ʼ`]/g, '')
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean);
  const full = words.filter((w) => w.length > 1);
  return (full.length >= 2 ? full : words).join(' ');
}

/** A keyword or phrase as the stemmed words it must contain, in order ("Diffusion models" ~ "diffusion model"). */
function phrase(keyword: string): string[] {
  return keywordWords(keyword);
}

function containsPhrase(words: readonly string[], wanted: readonly string[]): boolean {
  if (wanted.length === 0) return false;
  outer: for (let i = 0; i + wanted.length <= words.length; i++) {
    for (let j = 0; j < wanted.length; j++) if (words[i + j] !== wanted[j]) continue outer;
    return true;
  }
  return false;
}

/**
 * What is computed once per candidate and reused by every reader (features, words, author keys). The
 * features are packed: a digest process keeps thousands of prepared candidates.
 */
export interface PreparedCandidate extends RankCandidate {
  features: PackedFeatures;
  words: string[];
  followedAuthorKeys: string[];
}

export function prepareCandidate(candidate: RankCandidate): PreparedCandidate {
  // Each text tokenized once, for both the features and the keyword matching.
  const titleWords = keywordWords(candidate.title);
  const abstractWords = candidate.abstract ? keywordWords(candidate.abstract) : [];
  return {
    ...candidate,
    features: packFeatures(featuresOfWords(contentOf(titleWords), contentOf(abstractWords), candidate.topics)),
    words: titleWords.concat(abstractWords),
    followedAuthorKeys: candidate.authors.map(followedAuthorKey),
  };
}

/** Below this similarity a liked paper is not named as the reason. */
const LIKED_SIMILARITY = 0.12;
/**
 * A relevance contribution that names the liked paper (or "close to papers you liked") as the reason.
 * In `pnpm bench personalize` 15% of the blended picks get this line, 45% of them relevant against
 * 25% of the other picks; at 0.3 fewer get it, as often relevant; requiring the relevance to outweigh
 * the trending part too, none do (relevance moves a pick among its neighbours, it rarely dominates).
 */
const LIKED_CONTRIBUTION = 0.15;

/** The words of a paper as a set, made once per word list (a keyword is looked for only where its first word is). */
const wordSets = new WeakMap<readonly string[], Set<string>>();
function wordSet(words: readonly string[]): Set<string> {
  let found = wordSets.get(words);
  if (!found) {
    found = new Set(words);
    wordSets.set(words, found);
  }
  return found;
}

function hasPhrase(words: readonly string[], set: Set<string>, wanted: readonly string[]): boolean {
  for (const word of wanted) if (!set.has(word)) return false;
  return wanted.length === 1 || containsPhrase(words, wanted);
}

/**
 * The reader's model as an open-addressing hash table over typed arrays, built once per ranking: a
 * few hundred kilobytes that stay in the CPU's cache while every candidate's features are looked up
 * (a Map, or a dense array over all 2^20 feature ids, costs a cache miss a lookup). Its margins equal
 * `margin()`'s on the unpacked vector (`unpackFeatures`): the same products, added in the same order.
 */
interface WeightTable {
  mask: number;
  shift: number;
  /** Feature id + 1 (0: empty slot). */
  keys: Int32Array;
  values: Float64Array;
}

function weightTable(model: ReaderModel): WeightTable {
  let bits = 4;
  while (1 << bits < model.weights.size * 2.5) bits++;
  const size = 1 << bits;
  const table: WeightTable = {
    mask: size - 1,
    shift: 32 - bits,
    keys: new Int32Array(size),
    values: new Float64Array(size),
  };
  for (const [id, weight] of model.weights) {
    if (!Number.isInteger(id) || id < 0 || id >= FEATURE_BUCKETS) continue; // no feature has it
    let slot = Math.imul(id, 0x9e3779b1) >>> table.shift;
    while (table.keys[slot] !== 0 && table.keys[slot] !== id + 1) slot = (slot + 1) & table.mask;
    table.keys[slot] = id + 1;
    table.values[slot] = weight;
  }
  return table;
}

function marginOf(table: WeightTable, bias: number, features: PackedFeatures): number {
  const { ids, values } = features;
  const { keys, mask, shift } = table;
  let m = bias;
  for (let i = 0; i < ids.length; i++) {
    const key = ids[i]! + 1;
    let slot = Math.imul(key - 1, 0x9e3779b1) >>> shift;
    for (;;) {
      const found = keys[slot]!;
      if (found === key) {
        m += table.values[slot]! * values[i]!;
        break;
      }
      if (found === 0) break;
      slot = (slot + 1) & mask;
    }
  }
  return m;
}

function maxScore(candidates: readonly PreparedCandidate[]): number {
  let top = 0;
  for (const c of candidates) if (c.score > top) top = c.score;
  return top;
}

/**
 * Every qualifying candidate for this reader, best blended score first (ties: trending score, then
 * id), each with why it was picked. `topScore` is the highest trending score of the whole candidate
 * list (so t is comparable between readers); by default the highest among these candidates.
 * A "like “X” you liked" line is worked out when it is first read (a digest reads ten of them).
 */
export function rankForReader(
  candidates: readonly PreparedCandidate[],
  reader: ReaderProfile,
  weights: RankingWeights = DEFAULT_RANKING_WEIGHTS,
  topScore = maxScore(candidates),
): RankedPick[] {
  const model = reader.model && reader.model.examples > 0 ? reader.model : null;
  if (!model || weights.relevance === 0) return rankWith(candidates, reader, weights, topScore, null);
  const table = weightTable(model);
  // What the model learned about each topic (its feature's share of a margin), looked up once a topic.
  const topicParts = new Map<string, number>();
  const topicPart = (topic: string) => {
    let part = topicParts.get(topic);
    if (part === undefined) {
      part = (model.weights.get(topicBucket(topic)) ?? 0) * TOPIC_FEATURE_VALUE;
      topicParts.set(topic, Number.isFinite(part) ? part : 0);
    }
    return topicParts.get(topic)!;
  };
  return rankWith(candidates, reader, weights, topScore, (paper) => {
    const m = marginOf(table, model.bias, paper.features);
    if (Number.isNaN(m)) return { r: 0, words: 0 };
    // The words' part alone names a liked paper as the reason: the bias (the reader's mood) and the
    // topics (said by "trending in …") lift every paper of a topic alike.
    let words = m - model.bias;
    for (const topic of new Set(paper.topics)) words -= topicPart(topic);
    return { r: Math.tanh(m / 2), words: Math.tanh(words / 2) }; // relevance(): 2·sigmoid(m) − 1
  });
}

function rankWith(
  candidates: readonly PreparedCandidate[],
  reader: ReaderProfile,
  weights: RankingWeights,
  topScore: number,
  relevanceOf: ((paper: PreparedCandidate) => { r: number; words: number }) | null,
): RankedPick[] {
  const wantedTopics = new Set(reader.topics);
  const followed = new Map(reader.followedAuthors.map((a) => [followedAuthorKey(a), a]));
  const keywords = reader.keywords.map((k) => ({ keyword: k, words: phrase(k) })).filter((k) => k.words.length > 0);
  const negatives = reader.negativeKeywords.map(phrase).filter((w) => w.length > 0);
  // No topic chosen means every topic (as the subscribe page says): keywords then only boost.
  const anything = wantedTopics.size === 0;
  const ranked: Array<{ pick: RankedPick; score: number }> = [];
  for (const paper of candidates) {
    let authorIndex = -1;
    if (followed.size > 0) authorIndex = paper.followedAuthorKeys.findIndex((k) => followed.has(k));
    const byFollowed = authorIndex >= 0;
    if (!byFollowed && paper.upvotes < reader.minUpvotes) continue;
    const words = negatives.length + keywords.length > 0 ? wordSet(paper.words) : null;
    if (!byFollowed && words && negatives.some((n) => hasPhrase(paper.words, words, n))) continue;
    const keyword = words ? keywords.find((k) => hasPhrase(paper.words, words, k.words)) : undefined;
    const topic = paper.topics.find((t) => wantedTopics.has(t));
    if (!byFollowed && !keyword && !topic && !anything) continue;
    const t = topScore > 0 ? paper.score / topScore : 0;
    const { r, words: wordsPart } = relevanceOf ? relevanceOf(paper) : { r: 0, words: 0 };
    const blended =
      weights.trending * t +
      weights.relevance * r +
      (byFollowed ? weights.author : 0) +
      (keyword ? weights.keyword : 0);
    const pick = explained(paper, reader, blended, {
      author: byFollowed ? paper.authors[authorIndex]! : null,
      keyword: keyword?.keyword ?? null,
      topic: topic ?? (wantedTopics.size === 0 ? (paper.topics[0] ?? null) : null),
      relevanceContribution: weights.relevance * wordsPart,
    });
    ranked.push({ pick, score: paper.score });
  }
  ranked.sort((a, b) => b.pick.blended - a.pick.blended || b.score - a.score || a.pick.id - b.pick.id);
  return ranked.map((entry) => entry.pick);
}

function explained(
  paper: PreparedCandidate,
  reader: ReaderProfile,
  blended: number,
  found: { author: string | null; keyword: string | null; topic: string | null; relevanceContribution: number },
): RankedPick {
  const { id } = paper;
  if (found.author) return { id, blended, reason: 'author', why: `by an author you follow (${found.author})` };
  if (found.relevanceContribution >= LIKED_CONTRIBUTION) {
    // The reason is known now; its line needs the liked paper most like this one, looked for when
    // read (a digest reads ten). Not copied by spreading before then: a spread reads it.
    let why: string | undefined;
    return {
      id,
      blended,
      reason: 'liked',
      get why() {
        why ??= likedLine(paper, reader.liked);
        return why;
      },
    };
  }
  if (found.keyword) return { id, blended, reason: 'keyword', why: `matches “${found.keyword}”` };
  return { id, blended, reason: 'trending', why: found.topic ? `trending in ${found.topic}` : 'trending' };
}

function likedLine(paper: PreparedCandidate, liked: ReaderProfile['liked']): string {
  let best: { title: string; similarity: number } | null = null;
  // Similar in words: two papers of one topic share its feature whatever they say.
  const topics = new Set(paper.topics.map(topicBucket));
  for (const one of liked) {
    if (one.title === paper.title) continue; // the liked paper itself is no reason for itself
    const similarity = packedCosine(one.features, paper.features, topics);
    if (similarity >= LIKED_SIMILARITY && (!best || similarity > best.similarity))
      best = { title: one.title, similarity };
  }
  return best ? `like “${shortTitle(best.title)}” you liked` : 'close to papers you liked';
}

/** A title cut at a word boundary near 60 characters, for the one-line reason. */
function shortTitle(title: string): string {
  const clean = title.replace(/\s+/g, ' ').trim();
  if (clean.length <= 60) return clean;
  const cut = clean.slice(0, 60);
  const space = cut.lastIndexOf(' ');
  return `${(space > 30 ? cut.slice(0, space) : cut).replace(/[\s,;:.-]+$/, '')}…`;
}
