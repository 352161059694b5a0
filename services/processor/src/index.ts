import { loadTaxonomy } from '@paperboy/pipeline';
import type { AppContext } from '@paperboy/runtime/context';
import { createProcessorWorkers } from './processor.js';

export { createProcessorWorkers, type ProcessorDeps } from './processor.js';
export { createIngestHandler, parseEntries } from './handlers/ingest.handler.js';
export { storeBatch } from './store-batch.js';
export { dashboardSchedules, syncDashboardSchedulers } from './schedulers.js';
export { createRefreshDashboardHandler } from './handlers/refresh-dashboard.handler.js';

/** Adds the processor's workers to a process's lifecycle. */
export function addProcessor(ctx: AppContext): void {
  const taxonomy = loadTaxonomy(ctx.config.taxonomyPath);
  for (const worker of createProcessorWorkers({
    db: ctx.db,
    logger: ctx.logger,
    connection: ctx.workerRedis,
    lockDurationMs: ctx.config.jobLockMs,
    prefix: ctx.config.queuePrefix,
    concurrency: ctx.config.processorConcurrency,
    taxonomy,
    nearDuplicateThreshold: ctx.config.nearDuplicateThreshold,
    metrics: ctx.metrics,
    hold: ctx.postgresWatch.shouldHold,
  })) {
    ctx.lifecycle.addWorker(worker);
  }
}
