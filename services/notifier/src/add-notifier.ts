import type { AppContext } from '@paperboy/app';
import { StuckDeliveryRepository } from '@paperboy/db';
import { createTransport, type MailTransport } from '@paperboy/mail';
import { createNotifierWorkers } from './notifier.js';

/**
 * Adds the notifier's workers (and its mail transport) to a process's lifecycle. `webhooks: false`
 * leaves out webhook delivery (the one-off `digest` commands).
 */
export function addNotifier(
  ctx: AppContext,
  transport: MailTransport = createTransport({
    smtpUrl: ctx.config.mail.smtpUrl,
    outboxDir: ctx.config.mail.outboxDir,
    maxConnections: ctx.config.mail.connections,
  }),
  options: { webhooks?: boolean } = {},
): MailTransport {
  if (!ctx.config.mail.publicUrl.startsWith('https://')) {
    ctx.logger.warn(
      { publicUrl: ctx.config.mail.publicUrl },
      'PAPERBOY_PUBLIC_URL is not https: digests go out without one-click unsubscribe (RFC 8058 needs https)',
    );
  }
  for (const worker of createNotifierWorkers({
    db: ctx.db,
    logger: ctx.logger,
    config: ctx.config,
    connection: ctx.workerRedis,
    queues: ctx.queues,
    transport,
    metrics: ctx.metrics,
    hold: ctx.postgresWatch.shouldHold,
    deliverWebhooks: options.webhooks ?? true,
  })) {
    ctx.lifecycle.addWorker(worker);
  }
  ctx.lifecycle.addResource('mail transport', () => transport.close());
  // Deliveries whose sender died mid-send stay claimed (at most once): /metrics counts them.
  const stuck = new StuckDeliveryRepository(ctx.db);
  ctx.metrics.watchStuckDeliveries(ctx.config.mail.stuckMinutes, () => stuck.countStuck(ctx.config.mail.stuckMinutes));
  return transport;
}
