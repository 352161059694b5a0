// The processor's public surface: what a process needs to run it (its own main.ts, the CLI's `start`,
// `ingest` and `demo`) and what the end-to-end tests drive directly. Everything else in src/ is internal.

/** Adds the processor's workers (ingest, dashboard refresh) to a process. */
export { addProcessor } from './add-processor.js';
/** The processor's workers on explicit dependencies, for tests that run them without an `AppContext`. */
export { createProcessorWorkers, type ProcessorDeps } from './processor.js';
/** The dashboard refresh schedules (incremental and nightly), and their declaration on boot. */
export { dashboardSchedules, syncDashboardSchedulers } from './schedulers.js';
