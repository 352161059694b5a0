import type { AppContext } from '@paperboy/app';
import { loadTaxonomy } from '@paperboy/pipeline';
import { createProcessorWorkers } from './processor.js';

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
