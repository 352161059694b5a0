import type { Db } from '@paperboy/db';
import type { FetchSettings } from '@paperboy/http';
import type { Logger } from '@paperboy/logger';
import type { Metrics } from '@paperboy/metrics';
import type { Taxonomy } from '@paperboy/pipeline';
import { createWorker, logWorkerEvents, type Queues, type RedisClient, type Worker } from '@paperboy/queue';
import { createEnrichDueHandler } from './enrich/enrich-due.handler.js';
import {
  createEnrichPapersHandler,
  type EnrichHosts,
  type EnrichRobots,
  type EnrichSettings,
} from './enrich/enrich-papers.handler.js';
import { createIngestHandler } from './handlers/ingest.handler.js';
import { createRefreshDashboardHandler } from './handlers/refresh-dashboard.handler.js';

/** What enrichment needs: its settings, the queues it feeds, and the politeness shared with the fetcher. */
export interface EnrichmentDeps extends EnrichSettings {
  queues: Queues;
  refreshDays: number;
  fetch: Omit<FetchSettings, 'accept' | 'conditional'>;
  hosts: EnrichHosts;
  robots: EnrichRobots;
  /** Enrich requests at once in this process (each waits for its host anyway). Default 2. */
  concurrency?: number;
  /** A paper enqueued this long ago and still due is enqueued again. Default 15 minutes. */
  graceMs?: number;
  /** Pause after a 429 without Retry-After. Default 60 s. */
  defaultThrottlePauseMs?: number;
}

export interface ProcessorDeps {
  db: Db;
  logger: Logger;
  connection: RedisClient;
  prefix: string;
  concurrency: number;
  lockDurationMs?: number;
  taxonomy: Taxonomy;
  nearDuplicateThreshold: number;
  metrics?: Metrics;
  /** Tells which failures are a Postgres outage: those jobs are put back without spending an attempt. */
  hold?: (error: unknown) => Promise<boolean>;
  /** Enrichment (issue 13); without it, no paper is marked due and no enrich worker runs. */
  enrichment?: EnrichmentDeps;
  /** Which changes are events (PAPERBOY_EVENT_*): upvote thresholds, the trending top N. None without. */
  events?: { upvoteThresholds: readonly number[]; trendingTop: number };
}

/** The processor's workers (not yet running: call `run()` on each, or let the runtime do it). */
export function createProcessorWorkers(deps: ProcessorDeps): Worker[] {
  const logger = deps.logger.child({ service: 'processor' });
  const settings = {
    connection: deps.connection,
    prefix: deps.prefix,
    lockDurationMs: deps.lockDurationMs ?? 30_000,
    ...(deps.hold ? { hold: deps.hold } : {}),
  };
  const enrichment = deps.enrichment;
  const kinds = enrichment?.kinds ?? [];
  const ingest = createWorker(
    'ingest',
    {
      'ingest-entries': createIngestHandler({
        ...deps,
        logger,
        enrich: kinds,
        upvoteThresholds: deps.events?.upvoteThresholds ?? [],
        ...(enrichment ? { queues: enrichment.queues } : {}),
      }),
    },
    { ...settings, concurrency: deps.concurrency },
  );
  // Dashboard refreshes wait on one advisory lock anyway: one at a time per process is plenty.
  const maintenance = createWorker(
    'maintenance',
    {
      'refresh-dashboard': createRefreshDashboardHandler({
        db: deps.db,
        logger,
        trendingTop: deps.events?.trendingTop ?? 0,
        ...(deps.metrics ? { metrics: deps.metrics } : {}),
      }),
      'enrich-due': enrichment
        ? createEnrichDueHandler({
            db: deps.db,
            logger,
            queues: enrichment.queues,
            kinds,
            refreshDays: enrichment.refreshDays,
            ...(enrichment.graceMs !== undefined ? { graceMs: enrichment.graceMs } : {}),
          })
        : async () => ({ refreshed: { arxiv: 0, hf: 0 }, enqueued: { arxiv: 0, hf: 0 }, jobs: 0 }),
    },
    { ...settings, concurrency: 1 },
  );
  const workers = [logWorkerEvents(ingest, logger), logWorkerEvents(maintenance, logger)];
  if (enrichment) {
    const enrich = createWorker(
      'enrich',
      {
        'enrich-papers': createEnrichPapersHandler({
          db: deps.db,
          logger,
          taxonomy: deps.taxonomy,
          enrich: enrichment,
          fetch: enrichment.fetch,
          hosts: enrichment.hosts,
          robots: enrichment.robots,
          ...(deps.metrics ? { metrics: deps.metrics } : {}),
          ...(enrichment.defaultThrottlePauseMs !== undefined
            ? { defaultThrottlePauseMs: enrichment.defaultThrottlePauseMs }
            : {}),
        }),
      },
      { ...settings, concurrency: enrichment.concurrency ?? 2 },
    );
    workers.push(logWorkerEvents(enrich, logger));
  }
  return workers;
}
