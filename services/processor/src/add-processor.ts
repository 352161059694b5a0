import type { AppContext } from '@paperboy/app';
import { HostLimiter, RobotsCache } from '@paperboy/http';
import { loadTaxonomy } from '@paperboy/pipeline';
import { createProcessorWorkers } from './processor.js';

/** Adds the processor's workers to a process's lifecycle. */
export function addProcessor(ctx: AppContext): void {
  const { config } = ctx;
  const taxonomy = loadTaxonomy(config.taxonomyPath);
  // Enrichment fetches under the fetcher's politeness, shared through Redis: the same host limits
  // (arXiv's 3 s between requests holds across every process) and the same robots.txt cache.
  const fetch = {
    userAgent: config.fetch.userAgent,
    timeoutMs: config.fetch.timeoutMs,
    maxBytes: config.fetch.maxBytes,
    maxRedirects: config.fetch.maxRedirects,
    allowPrivate: config.fetch.allowPrivate,
  };
  const polite = { redis: ctx.producerRedis, prefix: `${config.keyPrefix}:polite` };
  for (const worker of createProcessorWorkers({
    db: ctx.db,
    logger: ctx.logger,
    connection: ctx.workerRedis,
    lockDurationMs: config.jobLockMs,
    prefix: config.queuePrefix,
    concurrency: config.processorConcurrency,
    taxonomy,
    nearDuplicateThreshold: config.nearDuplicateThreshold,
    metrics: ctx.metrics,
    hold: ctx.postgresWatch.shouldHold,
    events: config.events,
    enrichment: {
      ...config.enrich,
      queues: ctx.queues,
      fetch,
      hosts: new HostLimiter(polite),
      robots: new RobotsCache({ ...polite, fetch }),
    },
  })) {
    ctx.lifecycle.addWorker(worker);
  }
}
