import { DelayedError } from '@paperboy/queue';
import type { Crawl } from './begin.js';
import type { CrawlDeps } from './deps.js';

export interface HostSlot {
  release(): Promise<void>;
}

/**
 * Puts the page back in the queue, delayed by `waitMs` (never slept on: the worker takes other
 * jobs meanwhile). Throws BullMQ's DelayedError, which tells the worker the job was moved.
 */
export async function putBack(crawl: Crawl, waitMs: number, why: string): Promise<never> {
  crawl.log.debug({ url: crawl.payload.url, waitMs, why }, 'host busy: crawl delayed');
  await crawl.job.moveToDelayed(Date.now() + Math.max(waitMs, 50), crawl.token);
  throw new DelayedError();
}

/** A slot under the host's limits, shared by every fetcher process; when none is free, the page is put back. */
export async function takeHostSlot(deps: CrawlDeps, crawl: Crawl): Promise<HostSlot> {
  const { concurrency, minDelayMs } = crawl.politeness;
  const slot = await deps.hosts.acquire(crawl.url.host, { concurrency, minDelayMs });
  if (!slot.ok) return putBack(crawl, slot.waitMs, slot.reason);
  return slot;
}
