import type { Db } from '@paperboy/db';
import type { Logger } from '@paperboy/logger';
import type { Taxonomy } from '@paperboy/pipeline';
import { createWorker, type Worker } from '@paperboy/queue';
import type { Redis } from 'ioredis';
import type { Metrics } from '@paperboy/metrics';
import { createIngestHandler } from './handlers/ingest.handler.js';

export interface ProcessorDeps {
  db: Db;
  logger: Logger;
  connection: Redis;
  prefix: string;
  concurrency: number;
  lockDurationMs?: number;
  taxonomy: Taxonomy;
  nearDuplicateThreshold: number;
  metrics?: Metrics;
}

/** The processor's workers (not yet running: call `run()` on each, or let the runtime do it). */
export function createProcessorWorkers(deps: ProcessorDeps): Worker[] {
  const logger = deps.logger.child({ service: 'processor' });
  const worker = createWorker(
    'ingest',
    { 'ingest-entries': createIngestHandler({ ...deps, logger }) },
    { connection: deps.connection, prefix: deps.prefix, concurrency: deps.concurrency, lockDurationMs: deps.lockDurationMs ?? 30_000 },
  );
  worker.on('failed', (job, error) =>
    logger.error({ queue: 'ingest', jobId: job?.id, attemptsMade: job?.attemptsMade, err: error }, 'ingest job failed'),
  );
  return [worker];
}
