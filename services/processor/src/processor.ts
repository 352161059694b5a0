import type { Db } from '@paperboy/db';
import type { Logger } from '@paperboy/logger';
import type { Metrics } from '@paperboy/metrics';
import type { Taxonomy } from '@paperboy/pipeline';
import { createWorker, logWorkerEvents, type RedisClient, type Worker } from '@paperboy/queue';
import { createIngestHandler } from './handlers/ingest.handler.js';
import { createRefreshDashboardHandler } from './handlers/refresh-dashboard.handler.js';

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
  const ingest = createWorker(
    'ingest',
    { 'ingest-entries': createIngestHandler({ ...deps, logger }) },
    { ...settings, concurrency: deps.concurrency },
  );
  // Dashboard refreshes wait on one advisory lock anyway: one at a time per process is plenty.
  const maintenance = createWorker(
    'maintenance',
    {
      'refresh-dashboard': createRefreshDashboardHandler({
        db: deps.db,
        logger,
        ...(deps.metrics ? { metrics: deps.metrics } : {}),
      }),
    },
    { ...settings, concurrency: 1 },
  );
  return [logWorkerEvents(ingest, logger), logWorkerEvents(maintenance, logger)];
}
