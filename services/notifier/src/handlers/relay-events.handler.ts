import { type Db, EventRepository, WebhookRepository } from '@paperboy/db';
import type { Logger } from '@paperboy/logger';
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
export function createRelayEventsHandler(deps: { db: Db; queues: Queues; logger?: Logger }) {
  const webhooks = new WebhookRepository(deps.db);
  const events = new EventRepository(deps.db);
  let lastWarning = 0;
  return async (): Promise<{ offered: number; passedOver: number; woken: number }> => {
    // Cheap (two index ends); said at most every 10 minutes: nothing is lost, but nothing moves either.
    const ahead = await events.positionsAheadOfServer();
    if (ahead && Date.now() - lastWarning > 600_000) {
      lastWarning = Date.now();
      deps.logger?.error(
        ahead,
        "the outbox holds positions past this server's transaction counter (a restore onto another server?): new events reach no webhook or stream until it is fixed, see docs/recovery/events.md",
      );
    }
    const passedOver = await webhooks.passOverFiltered();
    const endpoints = await webhooks.withPendingEvents();
    await deps.queues.addBulk(
      'deliver-webhook',
      endpoints.map((endpointId) => ({ data: { endpointId }, deduplicationId: deliveryJobKey(endpointId) })),
    );
    return { offered: endpoints.length, passedOver, woken: await wakeRecovered(deps.queues, webhooks, endpoints) };
  };
}

/**
 * An endpoint whose failure run was cleared (`webhooks enable`, the admin API) while its job waits out
 * a backoff (up to PAPERBOY_WEBHOOK_RETRY_MAX_MS) would wait for nothing: its delayed job is promoted,
 * so an operator who fixed the receiver sees deliveries at the next relay tick. The job itself decides
 * from Postgres whether a wait is still due, so a promotion never cuts a real backoff short.
 */
async function wakeRecovered(queues: Queues, webhooks: WebhookRepository, pending: readonly number[]): Promise<number> {
  if (pending.length === 0) return 0;
  const wanted = new Set(pending);
  const recovered = (await webhooks.list()).filter((e) => wanted.has(e.id) && e.enabled && e.consecutiveFailures === 0);
  let woken = 0;
  const queue = queues.get('webhooks');
  for (const endpoint of recovered) {
    const jobId = await queue.getDeduplicationJobId(deliveryJobKey(endpoint.id));
    const job = jobId ? await queue.getJob(jobId) : undefined;
    if (!job || !(await job.isDelayed())) continue;
    // It may have moved on since (run, finished): a failed promotion changes nothing.
    await job.promote().then(
      () => woken++,
      () => {},
    );
  }
  return woken;
}
