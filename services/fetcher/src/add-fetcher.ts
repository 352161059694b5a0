import type { AppContext } from '@paperboy/app';
import { closeInterruptedCrawls } from '@paperboy/db';
import { HostLimiter, RobotsCache } from '@paperboy/http';
import { loadSourcesFile, type SourcesFile } from '@paperboy/sources-file';
import { createFetcherWorkers } from './fetcher.js';
import { RobotsMemo } from './politeness.js';

/** The fetch settings of a process: the config's, with the sources file's User-Agent if it sets one. */
export function fetchSettings(ctx: AppContext, sources: SourcesFile) {
  const { fetch } = ctx.config;
  return {
    userAgent: sources.userAgent ?? fetch.userAgent,
    timeoutMs: fetch.timeoutMs,
    maxBytes: fetch.maxBytes,
    maxRedirects: fetch.maxRedirects,
    allowPrivate: fetch.allowPrivate,
  };
}

/**
 * Adds the fetcher's workers to a process's lifecycle; returns the sources file it crawls.
 * `closeInterrupted: false` leaves closing the crawls a dead process left running to another process
 * (the worker processes of `start` and `ingest` leave it to their parent, which does it when it starts).
 */
export function addFetcher(
  ctx: AppContext,
  sources: SourcesFile = loadSourcesFile(ctx.config.sourcesPath),
  options: { closeInterrupted?: boolean } = {},
): SourcesFile {
  const { config } = ctx;
  const fetch = fetchSettings(ctx, sources);
  // Politeness state lives in Redis, next to the queues, so every fetcher process shares it.
  const hosts = new HostLimiter({ redis: ctx.producerRedis, prefix: `${config.keyPrefix}:polite` });
  // Verdicts are remembered in-process for a few minutes, so re-crawling a page asks Redis nothing for robots.txt.
  const robots = new RobotsMemo(
    new RobotsCache({ redis: ctx.producerRedis, prefix: `${config.keyPrefix}:polite`, fetch }),
  );
  for (const worker of createFetcherWorkers({
    db: ctx.db,
    logger: ctx.logger,
    connection: ctx.workerRedis,
    queues: ctx.queues,
    prefix: config.queuePrefix,
    concurrency: config.fetch.concurrency,
    lockDurationMs: config.jobLockMs,
    batchSize: config.batchSize,
    fetch,
    sources,
    hosts,
    robots,
    maxCrawlDelayMs: config.fetch.maxCrawlDelayMs,
    archiveRetentionDays: config.archiveRetentionDays,
    reconcileGraceMs: config.reconcileGraceMs,
    staleCrawlMs: config.staleCrawlMs,
    metrics: ctx.metrics,
    hold: ctx.postgresWatch.shouldHold,
  })) {
    ctx.lifecycle.addWorker(worker);
  }
  // Crawls a dead process left `running` (killed mid-crawl) are closed, so source health shows them.
  ctx.lifecycle.onStart(() => {
    if (options.closeInterrupted === false) return;
    closeInterruptedCrawls(ctx.db, config.staleCrawlMs).then(
      (closed) =>
        closed &&
        ctx.logger.warn(
          { closed, olderThanMs: config.staleCrawlMs },
          'closed crawls left running by a stopped process as failed (interrupted)',
        ),
      (error: unknown) => ctx.logger.warn({ err: (error as Error).message }, 'could not close interrupted crawls'),
    );
  });
  return sources;
}
