/**
 * The crawl of one page, as named stages, in the order the crawl-page handler calls them:
 *
 *   beginCrawl         begin.ts    its adapter, politeness and crawl row (resumed on a retry)
 *   checkRobots        robots.ts   may we fetch it? (robots.txt verdict, Crawl-delay)
 *   takeHostSlot       slot.ts     a slot under the host's limits (shared by all fetchers); none free: put back, delayed
 *   fetchConditionally fetch.ts    conditional GET (ETag, Last-Modified), guarded; failures recorded, retried or paused
 *   endIfUnchanged     fetch.ts    304 or the same content hash: done, nothing enqueued
 *   archiveBody        archive.ts  the body once per content hash (ArchiveRepository owns the format)
 *   extractPage        extract.ts  adapter lookup and extract(page)
 *   judgeHealth        health.ts   the verdict: ok, quiet or suspect
 *   enqueueBatches     enqueue.ts  chunks to the ingest queue; the fetch counts as seen only once they are there
 *
 * Every outcome is written by one recorder (record.ts). `replay` and the reconciler run the
 * extract and enqueue stages on archived bodies (`extractArchived`, `ingestBatches`); `backfill`, `demo` and
 * `ingest` add crawl-page jobs, so they run this sequence itself. See services/fetcher/README.md.
 */
export { archiveBody, keepArchived } from './archive.js';
export { beginCrawl, type Crawl } from './begin.js';
export type { CrawlDeps } from './deps.js';
export type { BatchOrigin, IngestJob } from './enqueue.js';
export { contentBatchId, enqueueBatches, enqueueNew, ingestBatches } from './enqueue.js';
export { accepts, adapterFor, extractArchived, extractEntries, extractPage } from './extract.js';
export { crawlResult, endIfUnchanged, fetchConditionally, fetchFacts } from './fetch.js';
export { type CrawlJudgement, judgeCrawl, judgeHealth, MIN_SAMPLES, median, SUSPECT_SHARE } from './health.js';
export { CrawlRecorder, type OutcomeRecord, type RecordedCrawl } from './record.js';
export { checkRobots } from './robots.js';
export { type HostSlot, putBack, takeHostSlot } from './slot.js';
