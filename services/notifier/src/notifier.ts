import type { Config } from '@paperboy/config';
import type { Db } from '@paperboy/db';
import type { Logger } from '@paperboy/logger';
import type { MailTransport } from '@paperboy/mail';
import { createWorker, logWorkerEvents, type Queues, type Worker } from '@paperboy/queue';
import type { Redis } from 'ioredis';
import type { Metrics } from '@paperboy/metrics';
import { createPlanDigestsHandler } from './handlers/plan-digests.handler.js';
import { createSendDigestHandler } from './handlers/send-digest.handler.js';

export interface NotifierDeps {
  db: Db;
  logger: Logger;
  config: Config;
  connection: Redis;
  queues: Queues;
  transport: MailTransport;
  metrics?: Metrics;
}

export function createNotifierWorkers(deps: NotifierDeps): Worker[] {
  const logger = deps.logger.child({ service: 'notifier' });
  const worker = createWorker(
    'notify',
    {
      'plan-digests': createPlanDigestsHandler({ ...deps, logger }),
      'send-digest': createSendDigestHandler({ ...deps, logger }),
    },
    {
      connection: deps.connection,
      prefix: deps.config.queuePrefix,
      concurrency: deps.config.mail.concurrency,
      lockDurationMs: deps.config.jobLockMs,
      // The provider's limit, shared by every notifier process.
      limiter: { max: deps.config.mail.perMinute, duration: 60_000 },
    },
  );
  return [logWorkerEvents(worker, logger)];
}
