import type { CrawlPagePayload, CrawlPageResult, Job } from '@paperboy/queue';
import {
  archiveBody,
  beginCrawl,
  type CrawlDeps,
  checkRobots,
  endIfUnchanged,
  enqueueBatches,
  extractPage,
  fetchConditionally,
  judgeHealth,
  takeHostSlot,
} from '../crawl/index.js';

export type CrawlHandlerDeps = CrawlDeps;

/**
 * crawl-page: one page of one source, politely, as the stages of ../crawl read (each records what
 * ends the crawl there, throws to retry, or puts the page back delayed). A fetch counts as seen
 * (its ETag and content hash skip the next crawl) only once its batches are in the queue.
 */
export function createCrawlPageHandler(deps: CrawlDeps) {
  return async (payload: CrawlPagePayload, job: Job, token?: string): Promise<CrawlPageResult> => {
    const crawl = await beginCrawl(deps, payload, job, token);
    await checkRobots(deps, crawl);
    const slot = await takeHostSlot(deps, crawl);
    const page = await fetchConditionally(deps, crawl, slot);
    const unchanged = await endIfUnchanged(deps, crawl, page);
    if (unchanged) return unchanged;
    await archiveBody(deps, page);
    const extracted = await extractPage(deps, crawl, page);
    const verdict = await judgeHealth(deps, crawl, page, extracted);
    return enqueueBatches(deps, crawl, page, extracted, verdict);
  };
}
