import type { Config } from '@paperboy/config';
import type { Db } from '@paperboy/db';
import type { Logger } from '@paperboy/logger';
import type { MailTransport } from '@paperboy/mail';
import type { Metrics } from '@paperboy/metrics';
import { createWorker, logWorkerEvents, type Queues, type RedisClient, type Worker } from '@paperboy/queue';
import { DigestCandidates } from './candidates.js';
import { createDeliverWebhookHandler, type DeliverWebhookDeps } from './handlers/deliver-webhook.handler.js';
import { createPlanDigestsHandler } from './handlers/plan-digests.handler.js';
import { createPruneEventsHandler } from './handlers/prune-events.handler.js';
import { createRelayEventsHandler } from './handlers/relay-events.handler.js';
import { createSendConfirmationHandler } from './handlers/send-confirmation.handler.js';
import { createSendDigestHandler } from './handlers/send-digest.handler.js';
import { createSendDigestsHandler, SendSlots } from './handlers/send-digests.handler.js';
import { createTrainReaderHandler } from './handlers/train-reader.handler.js';
import { MailRateLimit } from './mail-rate.js';

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
  /** The mail rate limit; default PAPERBOY_MAIL_PER_MINUTE a minute in Redis on `connection`. */
  rateLimit?: MailRateLimit;
  /** The ranked candidates both send paths share; default one kept a minute (tests pass a fresher one). */
  candidates?: DigestCandidates;
  /**
   * Run the `webhooks` worker (default true). The one-off `digest` commands leave it out: a delivery
   * job may run for seconds and would hold their exit.
   */
  deliverWebhooks?: boolean;
  /** Overrides of the webhook deliverer (tests: a disabling period shorter than the setting allows). */
  webhooks?: Pick<DeliverWebhookDeps, 'disableAfterMs' | 'batchSize' | 'budgetMs'>;
}

/** Webhook jobs one process runs at once: each is one endpoint, with its own requests in flight. */
const WEBHOOK_JOBS = 8;

/**
 * Three workers: planners and reader trainings on the `planning` queue, sends (digest chunks, single digests of older jobs,
 * confirmations) on `notify`, and webhook delivery (the relay, one job per endpoint, the events' retention) on `webhooks`. The mail rate limit (PAPERBOY_MAIL_PER_MINUTE, in Redis, shared by
 * every process) counts mails, not jobs: each handler takes its mails from it before claiming them.
 * Planning never waits behind sends held back by it.
 */
export function createNotifierWorkers(deps: NotifierDeps): Worker[] {
  const logger = deps.logger.child({ service: 'notifier' });
  const planner = createWorker(
    'planning',
    {
      'plan-digests': createPlanDigestsHandler({
        ...deps,
        logger,
        stuckMinutes: deps.config.mail.stuckMinutes,
        chunkSize: deps.config.mail.chunkSize,
      }),
      'train-reader': createTrainReaderHandler({ ...deps, logger }),
    },
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
  // One candidate list (and its prepared features) for both send paths of the process.
  const candidates = deps.candidates ?? new DigestCandidates(deps.db, { weights: deps.config.ranking });
  const rateLimit =
    deps.rateLimit ?? new MailRateLimit(deps.connection, deps.config.queuePrefix, deps.config.mail.perMinute);
  const sender = createWorker(
    'notify',
    {
      'send-digest': createSendDigestHandler({ ...deps, logger, rateLimit, candidates }),
      // One bound on rendered mails in flight for all the process's chunks.
      'send-digests': createSendDigestsHandler({
        ...deps,
        logger,
        rateLimit,
        candidates,
        slots: new SendSlots(2 * deps.config.mail.connections),
      }),
      'send-confirmation': createSendConfirmationHandler({ ...deps, logger, rateLimit }),
    },
    {
      connection: deps.connection,
      prefix: deps.config.queuePrefix,
      concurrency: deps.config.mail.concurrency,
      lockDurationMs: deps.config.jobLockMs,
      ...(deps.hold ? { hold: deps.hold } : {}),
    },
  );
  const workers = [logWorkerEvents(planner, logger), logWorkerEvents(sender, logger)];
  if (deps.deliverWebhooks === false) return workers;
  const webhooks = createWorker(
    'webhooks',
    {
      'relay-events': createRelayEventsHandler({ ...deps, logger }),
      'deliver-webhook': createDeliverWebhookHandler({ ...deps, ...deps.webhooks, logger }),
      'prune-events': createPruneEventsHandler({ ...deps, logger, retentionDays: deps.config.events.retentionDays }),
    },
    {
      connection: deps.connection,
      prefix: deps.config.queuePrefix,
      concurrency: WEBHOOK_JOBS,
      lockDurationMs: deps.config.jobLockMs,
      ...(deps.hold ? { hold: deps.hold } : {}),
    },
  );
  return [...workers, logWorkerEvents(webhooks, logger)];
}
