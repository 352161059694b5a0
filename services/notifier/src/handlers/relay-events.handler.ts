import { type Db, WebhookRepository } from '@paperboy/db';
import type { Queues } from '@paperboy/queue';

/** The deduplication id of an endpoint's delivery job: one job per endpoint at a time. */
export const deliveryJobKey = (endpointId: number) => `webhook-${endpointId}`;

/**
 * relay-events (scheduled every PAPERBOY_EVENT_RELAY_MS): offers a deliver-webhook job to every
 * enabled endpoint with settled events after its position (first moving endpoints whose filter
 * wants none of the events before the head to the head). The offer deduplicates by endpoint while
 * its job exists, waiting, running or delayed for backoff, so it never doubles a delivery nor cuts a
 * backoff short; once the job is gone (finished, or lost with Redis) the next offer adds one, which
 * resumes from the position in Postgres.
 */
export function createRelayEventsHandler(deps: { db: Db; queues: Queues }) {
  const webhooks = new WebhookRepository(deps.db);
  return async (): Promise<{ offered: number; passedOver: number }> => {
    const passedOver = await webhooks.passOverFiltered();
    const endpoints = await webhooks.withPendingEvents();
    await deps.queues.addBulk(
      'deliver-webhook',
      endpoints.map((endpointId) => ({ data: { endpointId }, deduplicationId: deliveryJobKey(endpointId) })),
    );
    return { offered: endpoints.length, passedOver };
  };
}
