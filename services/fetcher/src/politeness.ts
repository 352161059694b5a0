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
