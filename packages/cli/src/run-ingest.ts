import { type AppContext, createAppContext } from '@paperboy/app';
import type { Config } from '@paperboy/config';
import { isLoginRefused, pendingMigrations } from '@paperboy/db';
import { addFetcher, reconcileStrandedBatches } from '@paperboy/fetcher';
import type { Logger } from '@paperboy/logger';
import { addProcessor } from '@paperboy/processor';
import {
  type CrawlPagePayload,
  type CrawlPageResult,
  checkRedis,
  createQueueEvents,
  type IngestEntriesResult,
  type Job,
  type QueueEvents,
} from '@paperboy/queue';
import { markInterrupted, wasInterrupted } from './interrupt.js';
import { type ChildStatus, WorkerProcesses, type WorkerRole } from './processes.js';

export interface IngestSummary {
  pages: number;
  /** Pages that could not be fetched or read, or that yielded no entries. */
  pagesFailed: number;
  /** Entries found on the pages. */
  entries: number;
  new: number;
  updated: number;
  merged: number;
  /** Entries not stored: rejected as unusable, or in a batch that failed after every retry. */
  failed: number;
  rejected: number;
  /** Pages whose content had not changed since the last fetch (304, or the same content hash): nothing to do. */
  unchangedPages: number;
  /** Batches skipped because the same page content had already been queued. */
  unchangedBatches: number;
  warnings: string[];
  errors: Array<{ url: string; error: string }>;
  durationMs: number;
}

export class PreflightError extends Error {}

/** Fails fast with a clear message when Redis or the database is not ready. */
export async function preflight(ctx: Pick<AppContext, 'config' | 'db'>): Promise<void> {
  await checkRedis(ctx.config.redisUrl);
  await checkDatabase(ctx.db);
}

/** Fails fast with a clear message when the database is missing or not migrated. */
/** Error codes of a Postgres that cannot be reached (not running, wrong host). */
export const UNREACHABLE_CODES: readonly string[] = ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT'];

/** What every command says when Postgres cannot be reached. */
export const postgresUnreachable = (message: string) =>
  `cannot reach Postgres (${message}): is it running, and does DATABASE_URL point at it?`;

export async function checkDatabase(db: AppContext['db']): Promise<void> {
  let pending: string[];
  try {
    pending = await pendingMigrations(db);
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    if (isLoginRefused(error)) throw error; // the command's caller names the user in one line
    if (code === '3D000') throw new PreflightError(`${message}: run \`pnpm paperboy migrate\` to create it`);
    if (UNREACHABLE_CODES.includes(code ?? '')) throw new PreflightError(postgresUnreachable(message));
    throw new PreflightError(`cannot use the database (${message})`);
  }
  if (pending.length)
    throw new PreflightError(`the database has ${pending.length} pending migration(s): run \`pnpm paperboy migrate\``);
}

/** Waits for a job; a job that is gone or failed is an error result, never a throw. */
export async function waitFor<T>(
  job: Job | undefined,
  events: QueueEvents,
): Promise<{ ok: true; value: T } | { ok: false; error: string }> {
  if (!job) return { ok: false, error: 'job disappeared from the queue before it finished' };
  try {
    return { ok: true, value: (await job.waitUntilFinished(events)) as T };
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  }
}

export function emptySummary(pages: number): IngestSummary {
  return {
    pages,
    pagesFailed: 0,
    entries: 0,
    new: 0,
    updated: 0,
    merged: 0,
    failed: 0,
    rejected: 0,
    unchangedPages: 0,
    unchangedBatches: 0,
    warnings: [],
    errors: [],
    durationMs: 0,
  };
}

/** A process's pipeline, for commands that drive it: its context, workers and job events. */
export interface Pipeline {
  ctx: AppContext;
  crawlEvents: QueueEvents;
  ingestEvents: QueueEvents;
  /** Crawl jobs this command added: removed if it is interrupted, so no later run inherits them. */
  crawlJobIds: Set<string>;
  /** Worker processes that died during the run (with `processes` > 1), as the summary reports them. */
  deadWorkers: ChildStatus[];
  /** Told of each crawl that finished (for progress): its page's entries, or null when it failed. */
  onPageDone?: (entries: number | null) => void;
}

export interface PipelineOptions {
  logger?: Logger;
  /** Run with this context's workers (already started) instead of starting a fetcher and a processor here. */
  context?: AppContext;
  /** Leave processing to processor processes running elsewhere (default: process here too). */
  externalProcessors?: boolean;
  /** Run no fetcher here (replay needs only processors). */
  noFetcher?: boolean;
  /** Where this run's crawl jobs are collected when the caller owns the context and handles Ctrl-C (`demo`). */
  crawlJobIds?: Set<string>;
  /**
   * Processes to run the workers in (default 1: all in this one). With n > 1, n-1 worker processes
   * (`paperboy worker`) run the same workers on the same queues with this config; one that dies is
   * reported in the summary's warnings and the run goes on (its jobs are retried once their lock
   * expires, PAPERBOY_JOB_LOCK_MS). Ignored with `context` (the caller runs the workers).
   */
  processes?: number;
  /** Told of each crawl that finished (progress on a terminal): its page's entries, or null when it failed. */
  onPageDone?: (entries: number | null) => void;
}

/** A process context whose Redis and database are ready; closed again (and the error rethrown) when they are not. */
export async function createCheckedContext(config: Config, logger?: Logger): Promise<AppContext> {
  const ctx = createAppContext(config, logger ? { logger } : {});
  try {
    await preflight(ctx);
  } catch (error) {
    await ctx.lifecycle.shutdown();
    throw error;
  }
  return ctx;
}

/** Starts (or borrows) a pipeline, runs `use`, and shuts down what it started. */
export async function withPipeline<T>(
  config: Config,
  options: PipelineOptions,
  use: (pipeline: Pipeline) => Promise<T>,
): Promise<T> {
  const ctx = options.context ?? (await createCheckedContext(config, options.logger));
  const ownContext = !options.context;
  const crawlEvents = createQueueEvents('crawl', { prefix: config.queuePrefix, redisUrl: config.redisUrl });
  const ingestEvents = createQueueEvents('ingest', { prefix: config.queuePrefix, redisUrl: config.redisUrl });
  const deadWorkers: ChildStatus[] = [];
  try {
    if (ownContext) {
      if (!options.noFetcher) addFetcher(ctx);
      if (!options.externalProcessors) addProcessor(ctx);
      const roles: WorkerRole[] = [
        ...(options.noFetcher ? [] : (['fetcher'] as const)),
        ...(options.externalProcessors ? [] : (['processor'] as const)),
      ];
      const processes = options.processes ?? 1;
      if (processes > 1 && roles.length)
        ctx.lifecycle.addWorker(
          new WorkerProcesses({
            config,
            count: processes - 1,
            roles,
            logger: ctx.logger,
            logLevel: ctx.logger.level,
            restart: false,
            onDeath: (status) => deadWorkers.push(status),
          }),
        );
      ctx.lifecycle.start();
    }
    await Promise.all([crawlEvents.waitUntilReady(), ingestEvents.waitUntilReady()]);
    const pipeline: Pipeline = {
      ctx,
      crawlEvents,
      ingestEvents,
      crawlJobIds: options.crawlJobIds ?? new Set(),
      deadWorkers,
      ...(options.onPageDone ? { onPageDone: options.onPageDone } : {}),
    };
    if (ownContext) stopOnSignal(ctx, pipeline.crawlJobIds);
    return await use(pipeline);
  } finally {
    await Promise.all([crawlEvents.close(), ingestEvents.close()]);
    if (ownContext) await ctx.lifecycle.shutdown();
  }
}

export { wasInterrupted };

/**
 * Ctrl-C (or SIGTERM) during a command: let the workers finish what they hold, remove this run's
 * crawl jobs that have not finished (so they do not haunt the next run), shut down, exit 130.
 * A second signal exits at once. `cleanup` runs once the workers are stopped (the demo's server).
 */
export function stopOnSignal(ctx: AppContext, crawlJobIds: ReadonlySet<string>, cleanup?: () => void): void {
  const handle = async (signal: NodeJS.Signals) => {
    if (markInterrupted()) process.exit(130);
    ctx.logger.warn({ signal }, "interrupted: stopping and removing this run's unfinished crawl jobs");
    await ctx.lifecycle.stopWorkers();
    let removed = 0;
    for (const id of crawlJobIds) {
      const job = await ctx.queues.getJob('crawl-page', id).catch(() => undefined);
      const state = await job?.getState().catch(() => 'unknown');
      if (job && state !== 'completed' && state !== 'failed')
        removed += await job.remove().then(
          () => 1,
          () => 0,
        );
    }
    ctx.logger.warn({ removed }, 'unfinished crawl jobs removed');
    cleanup?.();
    await ctx.lifecycle.shutdown();
    process.exit(130);
  };
  process.on('SIGINT', (s) => void handle(s));
  process.on('SIGTERM', (s) => void handle(s));
}

/** Waits for one ingest batch and adds what it stored to the summary. */
export async function collectBatch(
  pipeline: Pipeline,
  jobId: string,
  url: string,
  summary: IngestSummary,
): Promise<void> {
  // Not read back: a batch's entries are read (to count them) only when it failed.
  const job = await pipeline.ctx.queues.jobToWaitFor('ingest-entries', jobId);
  const result = await waitFor<IngestEntriesResult>(job, pipeline.ingestEvents);
  if (!result.ok) {
    const failed = job && (await pipeline.ctx.queues.getJob('ingest-entries', jobId).catch(() => undefined));
    const entries = Array.isArray(failed?.data?.entries) ? failed.data.entries.length : 0;
    summary.failed += entries;
    summary.errors.push({ url, error: `batch ${jobId}: ${result.error}` });
    return;
  }
  const r = result.value;
  summary.new += r.new;
  summary.updated += r.updated;
  summary.merged += r.merged;
  summary.rejected += r.rejected;
  summary.failed += r.rejected;
}

export interface PageToCrawl {
  data: CrawlPagePayload;
  jobId?: string;
}

/** Adds crawl-page jobs and waits until they and every batch they enqueued have finished. */
export async function crawlAndWait(
  pipeline: Pipeline,
  pages: readonly PageToCrawl[],
  summary: IngestSummary,
  options: { waitForBatches?: boolean } = {},
): Promise<void> {
  const crawlJobs = await pipeline.ctx.queues.addBulk('crawl-page', [...pages]);
  for (const job of crawlJobs) if (job.id) pipeline.crawlJobIds.add(job.id);
  // Added while Ctrl-C was being handled: the handler may have looked for this run's jobs already.
  if (wasInterrupted()) await Promise.all(crawlJobs.map((job) => job.remove().catch(() => undefined)));
  const crawls = await Promise.all(
    crawlJobs.map(async (job) => {
      const crawl = await waitFor<CrawlPageResult>(job, pipeline.crawlEvents);
      pipeline.onPageDone?.(crawl.ok ? crawl.value.entries : null);
      return crawl;
    }),
  );
  const batchWaits: Array<Promise<void>> = [];
  crawls.forEach((crawl, i) => {
    const url = pages[i]!.data.url;
    if (!crawl.ok) {
      summary.pagesFailed++;
      summary.errors.push({ url, error: crawl.error });
      return;
    }
    summary.entries += crawl.value.entries;
    const outcome = crawl.value.outcome ?? 'ok';
    const unchanged = outcome === 'unchanged' || outcome === 'not-modified';
    // A page that yielded nothing fails with its first warning as the error, which then is not a warning too.
    const error =
      !unchanged && crawl.value.entries === 0 && outcome !== 'quiet'
        ? (crawl.value.warnings[0] ?? 'no entries found')
        : null;
    // Each warning names its page, so a summary of many pages says which one it is about.
    const warnings = error === null ? crawl.value.warnings : crawl.value.warnings.slice(1);
    summary.warnings.push(...warnings.map((w) => (w.includes(url) ? w : `${url}: ${w}`)));
    if (unchanged) summary.unchangedPages++;
    else if (error !== null) {
      summary.pagesFailed++;
      summary.errors.push({ url, error });
    }
    summary.unchangedBatches += crawl.value.duplicateJobIds.length;
    // Batches of unchanged content were queued before: wait until they are done, count nothing.
    for (const jobId of options.waitForBatches === false ? [] : crawl.value.duplicateJobIds) {
      batchWaits.push(
        pipeline.ctx.queues
          .jobToWaitFor('ingest-entries', jobId)
          .then((job) => waitFor(job, pipeline.ingestEvents))
          .then(() => undefined),
      );
    }
    if (options.waitForBatches === false) return;
    for (const jobId of crawl.value.ingestJobIds) batchWaits.push(collectBatch(pipeline, jobId, url, summary));
  });
  await Promise.all(batchWaits);
  if (options.waitForBatches !== false) await repairStranded(pipeline, pages, crawls, summary);
}

/**
 * A page found unchanged may still have batches of an earlier crawl that were enqueued and never
 * stored (Redis lost them): success would be a lie. Its missing batches are put back from the
 * archive and waited for here, so the summary counts what they store. Runs once this run's own
 * batches are done, so none of them is in flight.
 */
async function repairStranded(
  pipeline: Pipeline,
  pages: readonly PageToCrawl[],
  crawls: Array<{ ok: true; value: CrawlPageResult } | { ok: false; error: string }>,
  summary: IngestSummary,
): Promise<void> {
  const { ctx } = pipeline;
  const waits: Array<Promise<void>> = [];
  for (const [i, crawl] of crawls.entries()) {
    if (!crawl.ok) continue;
    const url = pages[i]!.data.url;
    try {
      const repaired = await reconcileStrandedBatches(
        { db: ctx.db, queues: ctx.queues, logger: ctx.logger },
        { graceMs: 0, url },
      );
      for (const error of repaired.errors)
        summary.errors.push({
          url,
          error: `batches enqueued earlier and never stored, not re-enqueued: ${error.error}`,
        });
      if (repaired.jobIds.length)
        summary.warnings.push(
          `${url}: ${repaired.jobIds.length} batch(es) of an earlier crawl were enqueued but never stored: re-enqueued from the archive`,
        );
      for (const jobId of repaired.jobIds) waits.push(collectBatch(pipeline, jobId, url, summary));
    } catch (error) {
      summary.errors.push({
        url,
        error: `could not check for batches enqueued and never stored: ${(error as Error).message}`,
      });
    }
  }
  await Promise.all(waits);
}

/**
 * Runs pages through the real pipeline: crawl jobs on the crawl queue, the fetcher and processor
 * workers, and waits until every resulting job has finished. `options.processes` (default 1) runs
 * the workers in that many processes: this one and processes-1 worker processes started with this
 * exact config (the bench compares 1 and 2 this way); a worker process that dies is named in the
 * summary's warnings and its jobs are retried by the others.
 */
export async function runIngest(
  config: Config,
  source: string,
  urls: readonly string[],
  options: PipelineOptions = {},
): Promise<IngestSummary> {
  const started = Date.now();
  return withPipeline(config, options, async (pipeline) => {
    const summary = emptySummary(urls.length);
    await crawlAndWait(
      pipeline,
      urls.map((url) => ({ data: { source, url, requestedBy: 'cli', trigger: 'cli' } })),
      summary,
    );
    for (const dead of pipeline.deadWorkers)
      summary.warnings.push(
        `worker process ${dead.index} (pid ${dead.pid}) died (${dead.lastExit}): the run went on with the remaining processes`,
      );
    summary.durationMs = Date.now() - started;
    return summary;
  });
}
