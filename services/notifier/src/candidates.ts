import {
  type Db,
  type DigestCandidate,
  type DigestContext,
  type DigestPaper,
  DigestRepository,
  type StoredReaderModel,
} from '@paperboy/db';
import {
  contentWords,
  DEFAULT_RANKING_WEIGHTS,
  deserializeReaderModel,
  followedAuthorKey,
  type PreparedCandidate,
  paperFeatures,
  prepareCandidate,
  type RankedPick,
  type RankingWeights,
  type ReaderModel,
  type ReaderProfile,
  rankForReader,
} from '@paperboy/pipeline';

type Candidate = DigestCandidate;
type Prepared = PreparedCandidate & { lastSeenAt: Date };
type LikedPaper = ReaderProfile['liked'][number];
/** Whether a candidate may go into this digest (seen since the last one, never sent), or a feed (any). */
type Fresh = (paper: { id: number; lastSeenAt: Date }) => boolean;

/** Filtered lists kept per topic set and threshold: bounded, whatever the number of subscribers. */
const MAX_FILTERED_LISTS = 512;

/**
 * Candidates a personalised reader's model scores at first: the best this many by trending that
 * pass their topics and minimum upvotes, plus every paper by an author they follow or matching a
 * keyword. Scoring every candidate with a model costs about 10 µs a paper (a sparse dot product per
 * paper), 50 ms a reader on 5,000 candidates; the pool grows (doubling) only while it yields fewer
 * picks than the digest holds. The price: a paper below the pool by trending that the model alone
 * would lift into the digest is not seen (without a model the result is exact).
 */
export const PERSONAL_POOL = 300;

/** Liked papers' features kept per loaded list, for those no longer candidates. */
const MAX_LIKED_FEATURES = 20_000;

/**
 * The ranked list filtered by one topic set and minimum upvotes, built only as far as it is read: a
 * digest of 10 papers scans the ranked list until its 10th match (plus those already sent), not to
 * its end, and the next subscriber with the same preferences reuses what was scanned.
 */
class FilteredList {
  private readonly items: Candidate[] = [];
  private scanned = 0;

  constructor(
    private readonly source: readonly Candidate[],
    private readonly keep: (paper: Candidate) => boolean,
  ) {}

  at(index: number): Candidate | undefined {
    while (this.items.length <= index && this.scanned < this.source.length) {
      const paper = this.source[this.scanned++]!;
      if (this.keep(paper)) this.items.push(paper);
    }
    return this.items[index];
  }
}

/**
 * One loaded candidate list and everything derived from it, dropped together when the list is
 * reloaded: the filtered lists of the fast path, the prepared candidates (features, words, author
 * keys: computed once, on the first personalised reader, never per reader), liked papers' features.
 */
class LoadedList {
  readonly filtered = new Map<string, FilteredList>();
  readonly likedFeatures = new Map<number, LikedPaper>();
  private preparedList: Prepared[] | null = null;
  private preparedById: Map<number, Prepared> | null = null;
  /** The highest trending score of the whole list (it is sorted best first): t is comparable between readers. */
  readonly topScore: number;

  constructor(readonly items: readonly Candidate[]) {
    this.topScore = Math.max(0, items[0]?.score ?? 0);
  }

  prepared(): Prepared[] {
    this.preparedList ??= this.items.map((c) => ({ ...prepareCandidate(c), lastSeenAt: c.lastSeenAt }));
    return this.preparedList;
  }

  preparedOf(id: number): Prepared | undefined {
    this.preparedById ??= new Map(this.prepared().map((c) => [c.id, c]));
    return this.preparedById.get(id);
  }
}

export interface DigestCandidatesOptions {
  /** The blend's weights (PAPERBOY_RANK_*); default DEFAULT_RANKING_WEIGHTS. */
  weights?: RankingWeights;
  /** How long a loaded list is reused, in ms (0: loaded for every call). */
  ttlMs?: number;
  now?: () => number;
}

/** A reader's choice: the candidate and why it was picked. */
interface Choice {
  paper: { id: number; score: number; topics: readonly string[] };
  why: string;
}

/**
 * The ranked candidate papers, scored once and kept for a minute, shared by every send job of the
 * process: filling a digest is then a walk down one list, not a scoring query per mail. Memory is
 * bounded by the papers of the last days, not by the subscribers. Scores decay with age by one
 * factor for all papers, so the order stays right while the list is reused.
 *
 * Two paths. A reader with no model, no followed author and no keyword (positive or negative) gets
 * the fast path: the shared list filtered by their topics and minimum upvotes, in trending order,
 * which is exactly the order the blend gives them (relevance 0, no boost). Everyone else is ranked
 * by `rankForReader` over a bounded pool of the candidates (PERSONAL_POOL).
 */
export class DigestCandidates {
  private list = new LoadedList([]);
  private loadedAt = Number.NEGATIVE_INFINITY;
  private loading: Promise<LoadedList> | null = null;
  private readonly repo: DigestRepository;
  private readonly weights: RankingWeights;
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(db: Db, options: DigestCandidatesOptions = {}) {
    this.repo = new DigestRepository(db);
    this.weights = options.weights ?? DEFAULT_RANKING_WEIGHTS;
    this.ttlMs = options.ttlMs ?? 60_000;
    this.now = options.now ?? Date.now;
  }

  private async loaded(): Promise<LoadedList> {
    if (this.now() - this.loadedAt < this.ttlMs) return this.list;
    this.loading ??= this.repo.rankedCandidates().then(
      (items) => {
        this.list = new LoadedList(items);
        this.loadedAt = this.now();
        this.loading = null;
        return this.list;
      },
      (error) => {
        this.loading = null;
        throw error;
      },
    );
    return this.loading;
  }

  /** The ranked candidates of one topic set and threshold, filtered once per loaded list (least recently used dropped first). */
  private filteredFor(list: LoadedList, topics: readonly string[], minUpvotes: number): FilteredList {
    const key = `${minUpvotes}|${[...topics].sort().join(',')}`;
    const known = list.filtered.get(key);
    if (known) {
      list.filtered.delete(key);
      list.filtered.set(key, known);
      return known;
    }
    const wanted = new Set(topics);
    const kept = new FilteredList(
      list.items,
      (paper) => paper.upvotes >= minUpvotes && (wanted.size === 0 || paper.topics.some((t) => wanted.has(t))),
    );
    if (list.filtered.size >= MAX_FILTERED_LISTS) list.filtered.delete(list.filtered.keys().next().value!);
    list.filtered.set(key, kept);
    return kept;
  }

  /**
   * The profiles of the personalised readers among these contexts (the others take the fast path),
   * their liked papers' features included: from the prepared candidates, else read (one statement
   * for the chunk) and kept with the list.
   */
  private async profilesOf(list: LoadedList, contexts: ReadonlyMap<number, DigestContext>) {
    const profiles = new Map<number, ReaderProfile>();
    const likedIdsOf = new Map<number, number[]>();
    for (const [id, context] of contexts) {
      const model = readerModelOf(context.model);
      if (!model && !context.followedAuthors.length && !context.keywords.length && !context.negativeKeywords.length)
        continue;
      profiles.set(id, {
        topics: context.topics,
        minUpvotes: context.minUpvotes,
        followedAuthors: context.followedAuthors,
        keywords: context.keywords,
        negativeKeywords: context.negativeKeywords,
        model,
        liked: [],
      });
      if (model && context.likedPaperIds.length > 0) likedIdsOf.set(id, context.likedPaperIds);
    }
    if (likedIdsOf.size === 0) return profiles;
    const missing = new Set<number>();
    for (const ids of likedIdsOf.values()) {
      for (const paperId of ids) {
        if (!list.likedFeatures.has(paperId) && !list.preparedOf(paperId)) missing.add(paperId);
      }
    }
    if (missing.size > 0) {
      for (const paper of await this.repo.paperTexts([...missing])) {
        if (list.likedFeatures.size >= MAX_LIKED_FEATURES) list.likedFeatures.clear();
        list.likedFeatures.set(paper.id, { title: paper.title, features: paperFeatures(paper) });
      }
    }
    for (const [id, ids] of likedIdsOf) {
      const liked: LikedPaper[] = [];
      for (const paperId of ids) {
        const known = list.preparedOf(paperId) ?? list.likedFeatures.get(paperId);
        if (known) liked.push({ title: known.title, features: known.features });
      }
      profiles.set(id, { ...profiles.get(id)!, liked });
    }
    return profiles;
  }

  /** One reader's next digest from a loaded list: seen since their last digest, never sent, up to their maximum. */
  private chooseFor(list: LoadedList, context: DigestContext, profile: ReaderProfile | undefined): Choice[] {
    const fresh: Fresh = (paper) => paper.lastSeenAt > context.since && !context.sent.has(paper.id);
    if (!profile) {
      return choose(this.filteredFor(list, context.topics, context.minUpvotes), fresh, context.maxPapers).map(
        (paper) => ({ paper, why: trendingWhy(paper.topics, context.topics) }),
      );
    }
    return personalRanking(list, profile, this.weights, fresh, context.maxPapers);
  }

  /**
   * The next digests of a chunk of subscribers, in a bounded number of statements whatever its
   * size: their contexts, the text of liked papers no longer among the candidates (when any), then
   * the chosen papers. Subscribers without preferences get none.
   */
  async digestPapersOf(subscriberIds: readonly number[]): Promise<Map<number, DigestPaper[]>> {
    const [list, contexts] = await Promise.all([this.loaded(), this.repo.digestContexts(subscriberIds)]);
    const profiles = await this.profilesOf(list, contexts);
    const chosenOf = new Map<number, Choice[]>();
    for (const id of subscriberIds) {
      const context = contexts.get(id);
      chosenOf.set(id, context ? this.chooseFor(list, context, profiles.get(id)) : []);
    }
    return this.papersOf(chosenOf, contexts);
  }

  /** A subscriber's next digest: their preferences and ranking, seen since their last digest, never sent before, best first. */
  async digestPapers(subscriberId: number): Promise<DigestPaper[]> {
    return (await this.digestPapersOf([subscriberId])).get(subscriberId) ?? [];
  }

  /**
   * A reader's own ranking of the current candidates, ignoring what was sent and since when (their
   * private feed): the best `limit`, each with why it was picked.
   */
  async feedPapers(subscriberId: number, limit: number): Promise<DigestPaper[]> {
    const [list, contexts] = await Promise.all([this.loaded(), this.repo.digestContexts([subscriberId])]);
    const context = contexts.get(subscriberId);
    if (!context || limit <= 0) return [];
    const profile = (await this.profilesOf(list, contexts)).get(subscriberId);
    const chosen = profile
      ? personalRanking(list, profile, this.weights, () => true, limit)
      : choose(this.filteredFor(list, context.topics, context.minUpvotes), () => true, limit).map((paper) => ({
          paper,
          why: trendingWhy(paper.topics, context.topics),
        }));
    return (await this.papersOf(new Map([[subscriberId, chosen]]), contexts)).get(subscriberId) ?? [];
  }

  /** The stored papers of every reader's choices (one statement), in order, with the topics they see and why. */
  private async papersOf(
    chosenOf: ReadonlyMap<number, Choice[]>,
    contexts: ReadonlyMap<number, DigestContext>,
  ): Promise<Map<number, DigestPaper[]>> {
    const scores = new Map<number, number>();
    for (const chosen of chosenOf.values()) for (const { paper } of chosen) scores.set(paper.id, paper.score);
    const papers = new Map((await this.repo.papersByIds([...scores.keys()], scores)).map((p) => [p.id, p]));
    return new Map(
      [...chosenOf].map(([id, chosen]) => {
        const readerTopics = contexts.get(id)?.topics ?? [];
        return [
          id,
          chosen.flatMap(({ paper: c, why }) => {
            const paper = papers.get(c.id);
            return paper ? [{ ...paper, topics: shownTopics(c.topics, readerTopics), why }] : [];
          }),
        ];
      }),
    );
  }
}

/** A stored model as the ranking uses it: null when absent, of other features, or trained on nothing. */
function readerModelOf(stored: StoredReaderModel | null): ReaderModel | null {
  const model = stored ? deserializeReaderModel(stored) : null;
  return model && model.examples > 0 ? model : null;
}

/**
 * A personalised reader's ranking, best first, at most `limit` picks of the candidates `fresh`
 * keeps. `rankForReader` scores a pool (PERSONAL_POOL), first without the liked papers (naming the
 * liked paper is a cosine per liked paper and pick: done only for the picks kept), then again over
 * the picks with them, for the reasons: the blend does not depend on the liked papers, so the order
 * is the same.
 */
function personalRanking(
  list: LoadedList,
  profile: ReaderProfile,
  weights: RankingWeights,
  fresh: Fresh,
  limit: number,
): Choice[] {
  const eligible = list.prepared().filter(fresh);
  let picks: RankedPick[] = [];
  for (let size = PERSONAL_POOL; ; size *= 2) {
    const pool = poolOf(eligible, profile, size, weights, list.topScore);
    picks = rankForReader(pool, { ...profile, liked: [] }, weights, list.topScore).slice(0, limit);
    if (picks.length >= limit || pool.length >= eligible.length || size >= eligible.length) break;
  }
  if (profile.liked.length > 0 && picks.some((p) => p.reason === 'liked')) {
    const chosen = picks.map((p) => list.preparedOf(p.id)!);
    picks = rankForReader(chosen, profile, weights, list.topScore);
  }
  return picks.map((pick) => ({ paper: list.preparedOf(pick.id)!, why: pick.why }));
}

/**
 * The candidates worth scoring for a reader: the first `size` that pass their topics and minimum
 * upvotes by trending, then every other paper by an author they follow or matching one of their
 * keywords (found by `rankForReader` itself, without topics nor model, so it applies its own rules).
 */
function poolOf(
  eligible: readonly Prepared[],
  profile: ReaderProfile,
  size: number,
  weights: RankingWeights,
  topScore: number,
): Prepared[] {
  if (eligible.length <= size) return [...eligible];
  const wanted = new Set(profile.topics);
  const hasKeywords = profile.keywords.some((k) => contentWords(k).length > 0);
  const anything = wanted.size === 0 && !hasKeywords;
  const pool: Prepared[] = [];
  const inPool = new Set<number>();
  for (const paper of eligible) {
    if (pool.length >= size) break;
    if (paper.upvotes >= profile.minUpvotes && (anything || paper.topics.some((t) => wanted.has(t)))) {
      pool.push(paper);
      inPool.add(paper.id);
    }
  }
  const rest = eligible.filter((p) => !inPool.has(p.id));
  if (hasKeywords) {
    const matches = new Set(
      rankForReader(rest, { ...profile, topics: [], model: null, liked: [] }, weights, topScore).map((p) => p.id),
    );
    for (const paper of rest) if (matches.has(paper.id)) pool.push(paper);
  } else if (profile.followedAuthors.length > 0) {
    const followed = new Set(profile.followedAuthors.map(followedAuthorKey));
    for (const paper of rest) if (paper.followedAuthorKeys.some((k) => followed.has(k))) pool.push(paper);
  }
  return pool;
}

/**
 * The reason of a fast-path pick, in the words `rankForReader` gives a trending pick: the first of
 * the paper's topics the reader chose, or its best topic for a reader without a topic filter.
 */
export function trendingWhy(paperTopics: readonly string[], readerTopics: readonly string[]): string {
  const topic = shownTopics(paperTopics, readerTopics)[0];
  return topic ? `trending in ${topic}` : 'trending';
}

/**
 * The topics a digest shows for a paper: those of the reader's topics it matches (its labels when
 * it has any, else its computed topics: what the filter matched), in the paper's order. A reader
 * without a topic filter gets every paper, so one topic says what each is: its best one (the first
 * label, else the highest-ranked computed topic), or none when it has no topic.
 */
export function shownTopics(paperTopics: readonly string[], readerTopics: readonly string[]): string[] {
  if (readerTopics.length === 0) return paperTopics.slice(0, 1);
  const wanted = new Set(readerTopics);
  return paperTopics.filter((t) => wanted.has(t));
}

/** The best of a filtered list that `fresh` keeps, up to `limit`. */
function choose(filtered: FilteredList, fresh: Fresh, limit: number): Candidate[] {
  const chosen: Candidate[] = [];
  for (let i = 0; chosen.length < limit; i++) {
    const paper = filtered.at(i);
    if (!paper) break;
    if (fresh(paper)) chosen.push(paper);
  }
  return chosen;
}
