// The fetcher's public surface: what a process needs to run it (its own main.ts, the CLI's `start`,
// `ingest` and `demo`) and what the end-to-end tests drive directly. Everything else in src/ is
// internal. The sources file it crawls is read with @paperboy/sources-file.

/** Adds the fetcher's workers (crawls, archive pruning, reconciliation) to a process; returns the sources file it crawls. */
export { addFetcher } from './add-fetcher.js';
/** The crawl's stages that also run outside a crawl job, on archived pages (`paperboy replay`): extract, then enqueue batches. */
export { type BatchOrigin, extractArchived, type IngestJob, ingestBatches } from './crawl/index.js';
/** The crawl-page handler alone, for tests that drive one crawl with their own queues. */
export { createCrawlPageHandler } from './handlers/crawl-page.handler.js';
/** Permissive politeness (no host limits, every path allowed by robots.txt), for tests and one-off runs. */
export { allowAll, type HostGate, openGate, type RobotsGate } from './politeness.js';
/** Re-enqueues, from the archive, the batches of pages whose jobs never reached the queue (`ingest` runs it for its own pages). */
export { type ReconcileResult, reconcileStrandedBatches } from './reconcile.js';
/** The fetcher's job schedules (one per enabled source, plus its maintenance), and their declaration on boot. */
export { sourceSchedules, syncSchedulers } from './schedulers.js';
