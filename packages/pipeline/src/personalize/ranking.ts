import { contentWords, cosine, paperFeatures, type SparseVector } from './features.js';
import { type ReaderModel, relevance } from './reader-model.js';

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
 * topics or keywords (any paper when they chose no topic and no keyword).
 */
export interface RankingWeights {
  trending: number;
  relevance: number;
  author: number;
  keyword: number;
}

export const DEFAULT_RANKING_WEIGHTS: RankingWeights = { trending: 1, relevance: 1, author: 0.5, keyword: 0.3 };

export interface ReaderProfile {
  topics: readonly string[];
  minUpvotes: number;
  followedAuthors: readonly string[];
  keywords: readonly string[];
  negativeKeywords: readonly string[];
  /** Null until the reader has given feedback (and the model has been trained on it). */
  model: ReaderModel | null;
  /** Papers the reader said "more like this" to, for the "like 'X' you liked" line. */
  liked: ReadonlyArray<{ title: string; features: SparseVector }>;
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

/** A name as compared with followed authors: case, accents and spacing do not matter. */
export function followedAuthorKey(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/** A keyword or phrase as the stemmed words it must contain, in order ("Diffusion models" ~ "diffusion model"). */
function phrase(keyword: string): string[] {
  return contentWords(keyword);
}

function containsPhrase(words: readonly string[], wanted: readonly string[]): boolean {
  if (wanted.length === 0) return false;
  outer: for (let i = 0; i + wanted.length <= words.length; i++) {
    for (let j = 0; j < wanted.length; j++) if (words[i + j] !== wanted[j]) continue outer;
    return true;
  }
  return false;
}

/** What is computed once per candidate and reused by every reader (features, words, author keys). */
export interface PreparedCandidate extends RankCandidate {
  features: SparseVector;
  words: string[];
  followedAuthorKeys: string[];
}

export function prepareCandidate(candidate: RankCandidate): PreparedCandidate {
  return {
    ...candidate,
    features: paperFeatures(candidate),
    words: contentWords(`${candidate.title} ${candidate.abstract ?? ''}`),
    followedAuthorKeys: candidate.authors.map(followedAuthorKey),
  };
}

/** Below this similarity a liked paper is not named as the reason. */
const LIKED_SIMILARITY = 0.12;
/** A relevance contribution that names the liked paper (or "close to papers you liked") as the reason. */
const LIKED_CONTRIBUTION = 0.15;

/**
 * Every qualifying candidate for this reader, best blended score first (ties: trending score, then
 * id), each with why it was picked. `topScore` is the highest trending score of the whole candidate
 * list (so t is comparable between readers); by default the highest among these candidates.
 */
export function rankForReader(
  candidates: readonly PreparedCandidate[],
  reader: ReaderProfile,
  weights: RankingWeights = DEFAULT_RANKING_WEIGHTS,
  topScore = Math.max(0, ...candidates.map((c) => c.score)),
): RankedPick[] {
  const wantedTopics = new Set(reader.topics);
  const followed = new Map(reader.followedAuthors.map((a) => [followedAuthorKey(a), a]));
  const keywords = reader.keywords.map((k) => ({ keyword: k, words: phrase(k) })).filter((k) => k.words.length > 0);
  const negatives = reader.negativeKeywords.map(phrase).filter((w) => w.length > 0);
  const anything = wantedTopics.size === 0 && keywords.length === 0;
  const picks: Array<RankedPick & { score: number }> = [];
  for (const paper of candidates) {
    const authorIndex = paper.followedAuthorKeys.findIndex((k) => followed.has(k));
    const byFollowed = authorIndex >= 0;
    if (!byFollowed) {
      if (paper.upvotes < reader.minUpvotes) continue;
      if (negatives.some((n) => containsPhrase(paper.words, n))) continue;
    }
    const keyword = keywords.find((k) => containsPhrase(paper.words, k.words));
    const topic = paper.topics.find((t) => wantedTopics.has(t));
    if (!byFollowed && !keyword && !topic && !anything) continue;
    const t = topScore > 0 ? paper.score / topScore : 0;
    const r = relevance(reader.model, paper.features);
    const blended =
      weights.trending * t +
      weights.relevance * r +
      (byFollowed ? weights.author : 0) +
      (keyword ? weights.keyword : 0);
    const { reason, why } = explain(paper, reader, {
      author: byFollowed ? paper.authors[authorIndex]! : null,
      keyword: keyword?.keyword ?? null,
      topic: topic ?? (wantedTopics.size === 0 ? (paper.topics[0] ?? null) : null),
      relevanceContribution: weights.relevance * r,
    });
    picks.push({ id: paper.id, blended, reason, why, score: paper.score });
  }
  picks.sort((a, b) => b.blended - a.blended || b.score - a.score || a.id - b.id);
  return picks.map(({ score: _score, ...pick }) => pick);
}

function explain(
  paper: PreparedCandidate,
  reader: ReaderProfile,
  found: { author: string | null; keyword: string | null; topic: string | null; relevanceContribution: number },
): { reason: PickReason; why: string } {
  if (found.author) return { reason: 'author', why: `by an author you follow (${found.author})` };
  if (found.relevanceContribution >= LIKED_CONTRIBUTION) {
    let best: { title: string; similarity: number } | null = null;
    for (const liked of reader.liked) {
      const similarity = cosine(liked.features, paper.features);
      if (similarity >= LIKED_SIMILARITY && (!best || similarity > best.similarity))
        best = { title: liked.title, similarity };
    }
    return { reason: 'liked', why: best ? `like “${shortTitle(best.title)}” you liked` : 'close to papers you liked' };
  }
  if (found.keyword) return { reason: 'keyword', why: `matches “${found.keyword}”` };
  return { reason: 'trending', why: found.topic ? `trending in ${found.topic}` : 'trending' };
}

/** A title cut at a word boundary near 60 characters, for the one-line reason. */
function shortTitle(title: string): string {
  const clean = title.replace(/\s+/g, ' ').trim();
  if (clean.length <= 60) return clean;
  const cut = clean.slice(0, 60);
  const space = cut.lastIndexOf(' ');
  return `${(space > 30 ? cut.slice(0, space) : cut).replace(/[\s,;:.-]+$/, '')}…`;
}
