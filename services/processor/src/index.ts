// The processor's public surface: what a process needs to run it (its own main.ts, the CLI's `start`,
// `ingest` and `demo`) and what the end-to-end tests drive directly. Everything else in src/ is internal.

/** Adds the processor's workers (ingest, dashboard refresh, enrichment) to a process. */
export { addProcessor } from './add-processor.js';
/** Enrichment (issue 13): what each kind records as, and the arXiv API's request spacing. */
export { ARXIV_MIN_DELAY_MS, ENRICH_SOURCE } from './enrich/enrich-papers.handler.js';
/** The processor's workers on explicit dependencies, for tests that run them without an `AppContext`. */
/** The paper.updated a write causes (snapshots before and after): for the CLI's label and reclassify. */
export { updatedEvent } from './paper-events.js';
export { createProcessorWorkers, type EnrichmentDeps, type ProcessorDeps } from './processor.js';
/** The dashboard refresh schedules (incremental and nightly), and their declaration on boot. */
export { dashboardSchedules, syncDashboardSchedulers } from './schedulers.js';
