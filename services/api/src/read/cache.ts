/**
 * A short-lived in-process cache of rendered answers (the read API's lists and the dashboard page).
 *
 * Why it is correct: nothing in the API process writes what these answers show (crawls, processing
 * and the dashboard refresh happen in other processes), so there is nothing to invalidate from here;
 * instead every entry has a bounded age. An entry is served as it is for `ttlMs` after it was
 * computed; for another `ttlMs` it is still served while one request recomputes it in the
 * background (so a slow query never makes many clients wait at once); after that it is recomputed
 * before answering. An answer is thus never older than twice `ttlMs` plus one computation: the same
 * order of lag the read API already accepts from a streaming replica (DATABASE_READ_URL).
 *
 * Only successful answers are stored (`compute` returns `cache: false` for the rest), keys are the
 * validated, normalized request (never raw input), and the entries are bounded in number (least
 * recently used out first), so many distinct queries cannot grow the process without bound.
 * A computation that throws is not cached: every waiting request gets the error.
 */
export interface CachedAnswer {
  status: number;
  contentType: string;
  payload: string;
  etag?: string;
  /** An HTTP date (feeds: the newest item's update), for Last-Modified and If-Modified-Since. */
  lastModified?: string;
}

interface Entry {
  answer: CachedAnswer;
  computedAt: number;
}

export class AnswerCache {
  private readonly entries = new Map<string, Entry>();
  private readonly computing = new Map<string, Promise<{ answer: CachedAnswer; cache: boolean }>>();

  constructor(
    readonly ttlMs: number,
    private readonly maxEntries = 1000,
    private readonly now: () => number = Date.now,
  ) {}

  async get(key: string, compute: () => Promise<{ answer: CachedAnswer; cache: boolean }>): Promise<CachedAnswer> {
    if (this.ttlMs <= 0) return (await compute()).answer;
    const entry = this.entries.get(key);
    const age = entry ? this.now() - entry.computedAt : Number.POSITIVE_INFINITY;
    if (entry && age < this.ttlMs) {
      // Least recently used last out: re-inserted at the end.
      this.entries.delete(key);
      this.entries.set(key, entry);
      return entry.answer;
    }
    const pending = this.computing.get(key) ?? this.start(key, compute);
    if (entry && age < 2 * this.ttlMs) {
      pending.catch(() => {}); // its failure reaches the next request that has to wait for it
      return entry.answer;
    }
    return (await pending).answer;
  }

  /** How many answers are held (for tests). */
  get size(): number {
    return this.entries.size;
  }

  private start(key: string, compute: () => Promise<{ answer: CachedAnswer; cache: boolean }>) {
    const startedAt = this.now();
    const pending = compute()
      .then((result) => {
        if (result.cache) {
          this.entries.delete(key);
          this.entries.set(key, { answer: result.answer, computedAt: startedAt });
          while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
        } else {
          this.entries.delete(key);
        }
        return result;
      })
      .finally(() => this.computing.delete(key));
    this.computing.set(key, pending);
    return pending;
  }
}
