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
  isAllowed(url: string): Promise<{ allowed: boolean; crawlDelayMs?: number }>;
}

/** No limits: every request may go now. */
export const openGate: HostGate = {
  acquire: async () => ({ ok: true, release: async () => {} }),
  pause: async () => {},
};

export const allowAll: RobotsGate = { isAllowed: async () => ({ allowed: true }) };
