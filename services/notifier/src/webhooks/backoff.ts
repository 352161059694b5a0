import { createHash } from 'node:crypto';
import { backoffWithJitter } from '@paperboy/http';

/**
 * The wait after the `failures`-th failure in a row of an endpoint: `baseMs` doubled per failure,
 * capped at `maxMs`, with "equal jitter" (a value in [ceiling/2, ceiling)) so endpoints that failed
 * together do not retry in lockstep. The jitter is a function of the endpoint and the failure count,
 * not a fresh random number: the wait is the same whenever it is computed, so a job offered again
 * early (Redis lost the delayed one) waits out the same backoff, read from Postgres.
 */
export function retryDelayMs(endpointId: number, failures: number, baseMs: number, maxMs: number): number {
  const digest = createHash('sha256').update(`${endpointId}:${failures}`).digest();
  const fraction = digest.readUInt32BE(0) / 2 ** 32;
  return backoffWithJitter(failures, baseMs, maxMs, () => 0.5 + fraction / 2);
}
