/**
 * What the crawl handler needs from the politeness layer. Structural, so the Redis-backed
 * implementations in @paperboy/http fit, and a test or a one-off run can pass permissive ones.
 */
export interface HostGate {
  acquire(
    host: string,
    limits: { concurrency: number; minDelayMs: number },
  ): Promise<{ ok: true; release(): Promise<void> } | { ok: false; waitMs: number; reason: string }>;
  pause(host: string, ms: number): Promise<void>;
}

export interface RobotsGate {
  /**
   * `unreachable` says why, when not allowed only because robots.txt could not be read (a
   * transient state: the page is retried). `recheckUnreachable` asks to read it again rather than
   * trust a cached "unreachable". May throw a FetchError when robots.txt may not be fetched at all.
   */
  isAllowed(
    url: string,
    options?: { recheckUnreachable?: boolean },
  ): Promise<{ allowed: boolean; crawlDelayMs?: number; unreachable?: string }>;
}

/** No limits: every request may go now. */
export const openGate: HostGate = {
  acquire: async () => ({ ok: true, release: async () => {} }),
  pause: async () => {},
};

export const allowAll: RobotsGate = { isAllowed: async () => ({ allowed: true }) };

export interface RobotsMemoOptions {
  /**
   * How long this process trusts a verdict it got, before asking the shared cache again. Default
   * 5 min: a robots.txt that changed (read again by any process once its shared entry expires) is
   * honoured here at most this much later.
   */
  ttlMs?: number;
  /** Verdicts kept (the oldest dropped first). Default 10,000. */
  maxEntries?: number;
  /** The clock, in ms. Tests pass a fake one. */
  now?: () => number;
}

/**
 * A robots gate that remembers, in this process and for `ttlMs`, the verdicts another gate (the
 * Redis-shared robots.txt cache) gave for a URL, so re-crawling a page asks Redis nothing. Only a
 * verdict from robots.txt's rules is kept: "unreachable" is transient (its retries must read it
 * again) and errors are this process's, so both go to the inner gate every time.
 */
export class RobotsMemo implements RobotsGate {
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;
  private readonly verdicts = new Map<
    string,
    { until: number; verdict: { allowed: boolean; crawlDelayMs?: number } }
  >();

  constructor(
    private readonly inner: RobotsGate,
    options: RobotsMemoOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? 5 * 60 * 1000;
    this.maxEntries = options.maxEntries ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  async isAllowed(
    url: string,
    options?: { recheckUnreachable?: boolean },
  ): Promise<{ allowed: boolean; crawlDelayMs?: number; unreachable?: string }> {
    const known = this.verdicts.get(url);
    const now = this.now();
    if (known && known.until > now) return { ...known.verdict };
    if (known) this.verdicts.delete(url);
    const verdict = await this.inner.isAllowed(url, options);
    if (verdict.unreachable === undefined && this.ttlMs > 0) {
      if (this.verdicts.size >= this.maxEntries) this.verdicts.delete(this.verdicts.keys().next().value!);
      const kept: { allowed: boolean; crawlDelayMs?: number } = { allowed: verdict.allowed };
      if (verdict.crawlDelayMs !== undefined) kept.crawlDelayMs = verdict.crawlDelayMs;
      this.verdicts.set(url, { until: now + this.ttlMs, verdict: kept });
    }
    return verdict;
  }
}
