import { type Db, type DigestContext, type DigestPaper, DigestRepository } from '@paperboy/db';

type Candidate = Awaited<ReturnType<DigestRepository['rankedCandidates']>>[number];

/** Filtered lists kept per topic set and threshold: bounded, whatever the number of subscribers. */
const MAX_FILTERED_LISTS = 512;

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
 * The ranked candidate papers, scored once and kept for a minute, shared by every send job of the
 * process: filling a digest is then a walk down one list, not a scoring query per mail. Memory is
 * bounded by the papers of the last days, not by the subscribers. Scores decay with age by one
 * factor for all papers, so the order stays right while the list is reused.
 */
export class DigestCandidates {
  private list: Candidate[] = [];
  private loadedAt = 0;
  private loading: Promise<Candidate[]> | null = null;
  /** The ranked list filtered by topic set and minimum upvotes, for the list loaded now (cleared with it). */
  private filtered = new Map<string, FilteredList>();
  private readonly repo: DigestRepository;

  constructor(
    db: Db,
    private readonly ttlMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {
    this.repo = new DigestRepository(db);
  }

  private async ranked(): Promise<Candidate[]> {
    if (this.now() - this.loadedAt < this.ttlMs) return this.list;
    this.loading ??= this.repo.rankedCandidates().then(
      (list) => {
        this.list = list;
        this.filtered = new Map();
        this.loadedAt = this.now();
        this.loading = null;
        return list;
      },
      (error) => {
        this.loading = null;
        throw error;
      },
    );
    return this.loading;
  }

  /** The ranked candidates of one topic set and threshold, filtered once per loaded list (least recently used dropped first). */
  private filteredFor(list: Candidate[], topics: readonly string[], minUpvotes: number): FilteredList {
    const key = `${minUpvotes}|${[...topics].sort().join(',')}`;
    const known = this.filtered.get(key);
    if (known) {
      this.filtered.delete(key);
      this.filtered.set(key, known);
      return known;
    }
    const wanted = new Set(topics);
    const kept = new FilteredList(
      list,
      (paper) => paper.upvotes >= minUpvotes && (wanted.size === 0 || paper.topics.some((t) => wanted.has(t))),
    );
    if (this.filtered.size >= MAX_FILTERED_LISTS) this.filtered.delete(this.filtered.keys().next().value!);
    this.filtered.set(key, kept);
    return kept;
  }

  /**
   * The next digests of a chunk of subscribers, in two statements whatever its size: their contexts,
   * then the chosen papers. Subscribers without preferences get none.
   */
  async digestPapersOf(subscriberIds: readonly number[]): Promise<Map<number, DigestPaper[]>> {
    const [list, contexts] = await Promise.all([this.ranked(), this.repo.digestContexts(subscriberIds)]);
    const chosenOf = new Map<number, Candidate[]>();
    const scores = new Map<number, number>();
    for (const id of subscriberIds) {
      const context = contexts.get(id);
      const chosen = context ? choose(this.filteredFor(list, context.topics, context.minUpvotes), context) : [];
      chosenOf.set(id, chosen);
      for (const paper of chosen) scores.set(paper.id, paper.score);
    }
    const papers = new Map((await this.repo.papersByIds([...scores.keys()], scores)).map((p) => [p.id, p]));
    return new Map(
      [...chosenOf].map(([id, chosen]) => [id, withShownTopics(chosen, papers, contexts.get(id)?.topics ?? [])]),
    );
  }

  /** A subscriber's next digest: their topics and thresholds, seen since their last digest, never sent before, best first. */
  async digestPapers(subscriberId: number): Promise<DigestPaper[]> {
    const [list, context] = await Promise.all([this.ranked(), this.repo.digestContext(subscriberId)]);
    if (!context) return [];
    const chosen = choose(this.filteredFor(list, context.topics, context.minUpvotes), context);
    const papers = await this.repo.papersByIds(
      chosen.map((p) => p.id),
      new Map(chosen.map((p) => [p.id, p.score])),
    );
    return withShownTopics(chosen, new Map(papers.map((p) => [p.id, p])), context.topics);
  }
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

/** The chosen papers, in order, with the topics the reader sees (`shownTopics`). */
function withShownTopics(
  chosen: readonly Candidate[],
  papers: ReadonlyMap<number, DigestPaper>,
  readerTopics: readonly string[],
): DigestPaper[] {
  return chosen.flatMap((c) => {
    const paper = papers.get(c.id);
    return paper ? [{ ...paper, topics: shownTopics(c.topics, readerTopics) }] : [];
  });
}

/** The best of a filtered list for one subscriber: seen since their last digest, never sent to them, up to their maximum. */
function choose(filtered: FilteredList, context: DigestContext): Candidate[] {
  const chosen: Candidate[] = [];
  for (let i = 0; chosen.length < context.maxPapers; i++) {
    const paper = filtered.at(i);
    if (!paper) break;
    if (paper.lastSeenAt <= context.since || context.sent.has(paper.id)) continue;
    chosen.push(paper);
  }
  return chosen;
}
