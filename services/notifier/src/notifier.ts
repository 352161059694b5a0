import type { Config } from '@paperboy/config';
import type { Db } from '@paperboy/db';
import type { Logger } from '@paperboy/logger';
import type { MailTransport } from '@paperboy/mail';
import type { Metrics } from '@paperboy/metrics';
import { createWorker, logWorkerEvents, type Queues, type RedisClient, type Worker } from '@paperboy/queue';
import { createPlanDigestsHandler } from './handlers/plan-digests.handler.js';
import { createSendConfirmationHandler } from './handlers/send-confirmation.handler.js';
import { createSendDigestHandler } from './handlers/send-digest.handler.js';

export interface NotifierDeps {
  db: Db;
  logger: Logger;
  config: Config;
  connection: RedisClient;
  queues: Queues;
  transport: MailTransport;
  metrics?: Metrics;
  /** Tells which failures are a Postgres outage: those jobs are put back without spending an attempt. */
  hold?: (error: unknown) => Promise<boolean>;
}

/**
 * Two workers: planners on the `planning` queue, sends (digests and confirmations) on `notify`.
 * Planning never waits behind sends held back by the mail rate limit, and the limit counts mails only.
 */
export function createNotifierWorkers(deps: NotifierDeps): Worker[] {
  const logger = deps.logger.child({ service: 'notifier' });
  const planner = createWorker(
    'planning',
    { 'plan-digests': createPlanDigestsHandler({ ...deps, logger, stuckMinutes: deps.config.mail.stuckMinutes }) },
    {
      connection: deps.connection,
      prefix: deps.config.queuePrefix,
      // One planner per frequency at a time in each process; planning is idempotent, so two
      // processes planning the same frequency at once plan each delivery once.
      concurrency: 2,
      lockDurationMs: deps.config.jobLockMs,
      ...(deps.hold ? { hold: deps.hold } : {}),
    },
  );
  const sender = createWorker(
    'notify',
    {
      'send-digest': createSendDigestHandler({ ...deps, logger }),
      'send-confirmation': createSendConfirmationHandler({ ...deps, logger }),
    },
    {
      connection: deps.connection,
      prefix: deps.config.queuePrefix,
      concurrency: deps.config.mail.concurrency,
      lockDurationMs: deps.config.jobLockMs,
      ...(deps.hold ? { hold: deps.hold } : {}),
      // The provider's limit, shared by every notifier process.
      limiter: { max: deps.config.mail.perMinute, duration: 60_000 },
    },
  );
  return [logWorkerEvents(planner, logger), logWorkerEvents(sender, logger)];
}
