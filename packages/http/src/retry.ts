import { FetchError, HttpStatusError } from './errors.js';

/**
 * What to do after a failed fetch, as data the caller acts on:
 * - `{ retry: false }`: permanent (fail the job without retry);
 * - `{ retry: true }`: transient, retry with the queue's backoff;
 * - `{ retry: true, delayMs, pauseHost: true }`: the server asked us to wait: pause the whole
 *   host for `delayMs` (HostLimiter.pause) and retry after it.
 */
export type RetryDecision = { retry: false } | { retry: true; delayMs?: number; pauseHost?: boolean };

export interface RetryPolicy {
  /** Longest pause honoured from a Retry-After. Default 1 h. */
  maxPauseMs?: number;
  /** Pause after a 429 without Retry-After. Default 60 s. */
  defaultThrottlePauseMs?: number;
}

export const MAX_HOST_PAUSE_MS = 60 * 60 * 1000;
export const DEFAULT_THROTTLE_PAUSE_MS = 60 * 1000;

/**
 * 429, and 503 with Retry-After: pause the host that long (capped); a 429 without one pauses a
 * default time. Other 5xx, 408, timeouts and network errors: retry with backoff. Other 4xx (and
 * unexpected 3xx), blocked addresses, bodies too large, bad URLs, redirect loops, unexpected
 * content types: no retry. An error that is not a FetchError is treated as transient.
 */
export function retryDecision(error: unknown, policy: RetryPolicy = {}): RetryDecision {
  const maxPauseMs = policy.maxPauseMs ?? MAX_HOST_PAUSE_MS;
  if (error instanceof HttpStatusError && error.status !== null) {
    const { status, retryAfterMs } = error;
    if (status === 429) {
      return {
        retry: true,
        pauseHost: true,
        delayMs: Math.min(retryAfterMs ?? policy.defaultThrottlePauseMs ?? DEFAULT_THROTTLE_PAUSE_MS, maxPauseMs),
      };
    }
    if (status === 503 && retryAfterMs !== null)
      return { retry: true, pauseHost: true, delayMs: Math.min(retryAfterMs, maxPauseMs) };
    if (status >= 500 || status === 408) return { retry: true };
    return { retry: false };
  }
  if (error instanceof FetchError) return error.retryable ? { retry: true } : { retry: false };
  return { retry: true };
}

/**
 * Exponential backoff with full jitter: a uniform random delay in [0, min(capMs, baseMs·2^(attempt−1))),
 * attempt counting from 1 (BullMQ's `attemptsMade` in a custom backoff strategy). Jitter spreads
 * the retries of many jobs that failed together (one host down) instead of retrying them in lockstep.
 */
export function backoffWithJitter(
  attempt: number,
  baseMs: number,
  capMs: number,
  random: () => number = Math.random,
): number {
  const exponent = Number.isFinite(attempt) ? Math.max(0, Math.floor(attempt) - 1) : 0;
  const ceiling = Math.min(capMs, baseMs * 2 ** exponent);
  return Math.floor(random() * Math.max(0, ceiling));
}
