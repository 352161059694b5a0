import {
  type Db,
  type DigestCandidate,
  type DigestContext,
  type DigestPaper,
  DigestRepository,
  type RankingReaderModel,
} from '@paperboy/db';
import {
  DEFAULT_RANKING_WEIGHTS,
  deserializeReaderModel,
  followedAuthorKey,
  keywordWords,
  type PreparedCandidate,
  packFeatures,
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
 * Candidates a personalised reader's ranking scores at first: the best this many by trending that
 * pass their topics and minimum upvotes, plus every paper by an author they follow or matching a
 * keyword. Ranking every candidate for every such reader cost 14 to 18 ms a reader on 5,000
 * candidates (test/bench/README.md); the pool grows (doubling) only while it yields fewer picks than
 * the digest holds. The price: a paper below the pool by trending that the model alone would lift
 * into the digest is not seen. Without a model the result is exact whenever no keyword or author
 * has more than the pool's size of matches (then nearly so: boosts are equal within each).
 */
export const PERSONAL_POOL = 300;

/** Distinct stemmed words shared by the prepared candidates of successive lists, at most. */
const MAX_INTERNED_WORDS = 200_000;

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
 * reloaded: the filtered lists of the fast path; for personalised readers, the candidates prepared
 * for `rankForReader` (features, words, author keys: each computed once, when a reader's pool first
 * takes it, never per reader), an index of authors and one of stemmed words (to find every paper by
 * a followed author or with a keyword without reading every candidate per reader), liked papers'
 * features.
 */
class LoadedList {
  readonly filtered = new Map<string, FilteredList>();
  readonly likedFeatures = new Map<number, LikedPaper>();
  private readonly prepared: Array<Prepared | undefined>;
  private readonly indexOfId: Map<number, number>;
  private authors: Map<string, number[]> | null = null;
  private words: Map<string, number[]> | null = null;
  /** The highest trending score of the whole list (it is sorted best first): t is comparable between readers. */
  readonly topScore: number;

  constructor(
    readonly items: readonly Candidate[],
    previous: LoadedList | null = null,
  ) {
    this.topScore = Math.max(0, items[0]?.score ?? 0);
    this.prepared = new Array(items.length);
    this.indexOfId = new Map(items.map((c, i) => [c.id, i]));
    // Shared with the previous list (carried candidates hold its strings); started afresh past a bound.
    this.strings = previous && previous.strings.size < MAX_INTERNED_WORDS ? previous.strings : new Map();
    // Features, words and author keys depend on title, abstract and authors only: a paper seen again
    // unchanged keeps them (with its new score, topics and upvotes), taken now so that the previous
    // list is not kept alive for them.
    if (previous) {
      items.forEach((c, i) => {
        const before = previous.preparedIfSame(c);
        if (before) this.prepared[i] = { ...before, ...c };
      });
    }
  }

  /** This list's preparation of the paper, when it has one and its title, abstract and authors are the same. */
  private preparedIfSame(c: Candidate): Prepared | undefined {
    const index = this.indexOfId.get(c.id);
    const before = index === undefined ? undefined : this.prepared[index];
    if (!before || before.title !== c.title || before.abstract !== c.abstract) return undefined;
    return before.authors.length === c.authors.length && before.authors.every((a, i) => a === c.authors[i])
      ? before
      : undefined;
  }

  private readonly strings: Map<string, string>;

  private intern(word: string): string {
    const known = this.strings.get(word);
    if (known !== undefined) return known;
    this.strings.set(word, word);
    return word;
  }

  indexOf(id: number): number | undefined {
    return this.indexOfId.get(id);
  }

  preparedAt(index: number): Prepared {
    let prepared = this.prepared[index];
    if (!prepared) {
      const c = this.items[index]!;
      const fresh = prepareCandidate(c);
      // One string per distinct stemmed word: a paper's ~150 words are otherwise ~150 strings of its own.
      prepared = { ...fresh, words: fresh.words.map((w) => this.intern(w)), lastSeenAt: c.lastSeenAt };
      this.prepared[index] = prepared;
    }
    return prepared;
  }

  preparedOf(id: number): Prepared | undefined {
    const index = this.indexOfId.get(id);
    return index === undefined ? undefined : this.preparedAt(index);
  }

  /** Indexes (ascending) of the candidates with an author of this key (`followedAuthorKey`). */
  byAuthor(key: string): readonly number[] {
    if (!this.authors) {
      this.authors = new Map();
      this.items.forEach((c, i) => {
        for (const author of new Set(c.authors.map(followedAuthorKey))) pushTo(this.authors!, author, i);
      });
    }
    return this.authors.get(key) ?? [];
  }

  /**
   * Indexes (ascending) of the candidates whose title and abstract hold every stemmed word of the
   * keyword (a superset of those holding it as a phrase: `rankForReader` decides). The words are
   * those `prepareCandidate` reads (`keywordWords` of title and abstract).
   */
  withWords(words: readonly string[]): readonly number[] {
    if (!this.words) {
      this.words = new Map();
      this.items.forEach((c, i) => {
        for (const word of new Set(keywordWords(`${c.title} ${c.abstract ?? ''}`))) pushTo(this.words!, word, i);
      });
    }
    const postings = words.map((w) => this.words!.get(w) ?? []).sort((a, b) => a.length - b.length);
    let found: readonly number[] = postings[0] ?? [];
    for (const other of postings.slice(1)) {
      const has = new Set(other);
      found = found.filter((i) => has.has(i));
    }
    return found;
  }

  /** The list filtered by one topic set and threshold, built once per loaded list (least recently used dropped first). */
  filteredFor(topics: readonly string[], minUpvotes: number): FilteredList {
    const key = `${minUpvotes}|${[...topics].sort().join(',')}`;
    const known = this.filtered.get(key);
    if (known) {
      this.filtered.delete(key);
      this.filtered.set(key, known);
      return known;
    }
    const wanted = new Set(topics);
    const kept = new FilteredList(
      this.items,
      (paper) => paper.upvotes >= minUpvotes && (wanted.size === 0 || paper.topics.some((t) => wanted.has(t))),
    );
    if (this.filtered.size >= MAX_FILTERED_LISTS) this.filtered.delete(this.filtered.keys().next().value!);
    this.filtered.set(key, kept);
    return kept;
  }
}

function pushTo(map: Map<string, number[]>, key: string, index: number): void {
  const known = map.get(key);
  if (known) known.push(index);
  else map.set(key, [index]);
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
        // Carries the previous list's prepared candidates over: a reload then prepares only new or
        // changed papers, and the two lists do not each hold features of every candidate.
        this.list = new LoadedList(items, this.list);
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
        list.likedFeatures.set(paper.id, { title: paper.title, features: packFeatures(paperFeatures(paper)) });
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
      return choose(list.filteredFor(context.topics, context.minUpvotes), fresh, context.maxPapers).map((paper) => ({
        paper,
        why: trendingWhy(paper.topics, context.topics),
      }));
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
    // Papers the reader already gave a word on are left out: they have seen them, and a "less" must
    // not come back.
    const judged = await this.repo.papersWithFeedback(subscriberId);
    const unjudged: Fresh = (paper) => !judged.has(paper.id);
    const chosen = profile
      ? personalRanking(list, profile, this.weights, unjudged, limit)
      : choose(list.filteredFor(context.topics, context.minUpvotes), unjudged, limit).map((paper) => ({
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
function readerModelOf(stored: RankingReaderModel | null): ReaderModel | null {
  const model = stored ? deserializeReaderModel(stored) : null;
  return model && model.examples > 0 ? model : null;
}

/**
 * A personalised reader's ranking, best first, at most `limit` picks of the candidates `fresh`
 * keeps. `rankForReader` scores a pool (`poolOf`), first without the liked papers (naming the liked
 * paper is a cosine per liked paper and pick: done only for the picks kept), then again over the
 * picks with them, for the reasons: the blend does not depend on the liked papers, so the order is
 * the same.
 */
function personalRanking(
  list: LoadedList,
  profile: ReaderProfile,
  weights: RankingWeights,
  fresh: Fresh,
  limit: number,
): Choice[] {
  let picks: RankedPick[] = [];
  for (let size = PERSONAL_POOL; ; size *= 2) {
    const { pool, complete } = poolOf(list, profile, fresh, size);
    picks = rankForReader(pool, { ...profile, liked: [] }, weights, list.topScore).slice(0, limit);
    if (picks.length >= limit || complete) break;
  }
  if (profile.liked.length > 0 && picks.some((p) => p.reason === 'liked')) {
    const chosen = picks.map((p) => list.preparedOf(p.id)!);
    picks = rankForReader(chosen, profile, weights, list.topScore);
  }
  return picks.map((pick) => ({ paper: list.preparedOf(pick.id)!, why: pick.why }));
}

/**
 * The candidates worth scoring for a reader, in trending order: the first `size` that `fresh` keeps
 * and that pass their topics and minimum upvotes (the fast path's filtered list), and the first
 * `size` fresh papers by each author they follow and holding the words of each of their keywords
 * (from the list's indexes: a common word can match most of the list). `complete` when no part was
 * cut (a larger pool would add nothing).
 */
function poolOf(
  list: LoadedList,
  profile: ReaderProfile,
  fresh: Fresh,
  size: number,
): { pool: Prepared[]; complete: boolean } {
  const keywords = profile.keywords.map((k) => keywordWords(k)).filter((words) => words.length > 0);
  const indexes = new Set<number>();
  let complete = true;
  // A one-word negative keyword excludes exactly the papers holding that word: left out here, so a
  // common one does not fill the pool with papers rankForReader then drops (followed authors' papers,
  // which it never drops, come from the author part). Longer ones are left to rankForReader.
  const excluded = profile.negativeKeywords
    .map((k) => keywordWords(k))
    .filter((words) => words.length === 1)
    .map((words) => new Set(list.withWords(words)));
  const kept: Fresh =
    excluded.length === 0 ? fresh : (paper) => fresh(paper) && !excluded.some((e) => e.has(list.indexOf(paper.id)!));
  // A reader with keywords and no topic takes only keyword and author matches (rankForReader's rule).
  if (profile.topics.length > 0 || keywords.length === 0) {
    const best = choose(list.filteredFor(profile.topics, profile.minUpvotes), kept, size);
    for (const paper of best) indexes.add(list.indexOf(paper.id)!);
    if (best.length >= size) complete = false;
  }
  const firstFresh = (matches: readonly number[], keep: Fresh) => {
    let taken = 0;
    for (const i of matches) {
      if (taken >= size) {
        complete = false;
        return;
      }
      if (keep(list.items[i]!)) {
        indexes.add(i);
        taken += 1;
      }
    }
  };
  for (const author of profile.followedAuthors) firstFresh(list.byAuthor(followedAuthorKey(author)), fresh);
  for (const words of keywords) firstFresh(list.withWords(words), kept);
  return { pool: [...indexes].sort((a, b) => a - b).map((i) => list.preparedAt(i)), complete };
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
