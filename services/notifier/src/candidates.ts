import { type Db, type DigestPaper, DigestRepository } from '@paperboy/db';

type Candidate = Awaited<ReturnType<DigestRepository['rankedCandidates']>>[number];

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

  /** A subscriber's next digest: their topics and thresholds, seen since their last digest, never sent before, best first. */
  async digestPapers(subscriberId: number): Promise<DigestPaper[]> {
    const [list, context] = await Promise.all([this.ranked(), this.repo.digestContext(subscriberId)]);
    if (!context) return [];
    const wanted = new Set(context.topics);
    const chosen: Candidate[] = [];
    for (const paper of list) {
      if (chosen.length >= context.maxPapers) break;
      if (paper.lastSeenAt <= context.since || paper.upvotes < context.minUpvotes || context.sent.has(paper.id))
        continue;
      if (wanted.size > 0 && !paper.topics.some((t) => wanted.has(t))) continue;
      chosen.push(paper);
    }
    return this.repo.papersByIds(
      chosen.map((p) => p.id),
      new Map(chosen.map((p) => [p.id, p.score])),
    );
  }
}
