import type { Queues, Schedule } from '@paperboy/queue';

const FREQUENCIES = ['daily', 'weekly'] as const;

/**
 * The digest planners: every 15 minutes, for each frequency (on the `planning` queue, as every
 * plan-digests job). Subscribers are due once their local hour reaches their send hour, and a period
 * is planned only once, so running often costs little and catches every time zone within a quarter
 * of an hour.
 */
export function digestSchedules(): Schedule[] {
  return FREQUENCIES.map(
    (frequency): Schedule => ({
      name: 'plan-digests',
      id: `digest-planner-${frequency}`,
      repeat: { every: 15 * 60_000 },
      payload: { frequency },
    }),
  );
}

/** Declares the digest planners. Upserts: safe on every boot and from several processes at once. */
export function syncDigestSchedulers(queues: Queues): Promise<string[]> {
  return queues.declareSchedules(digestSchedules());
}

/**
 * The events' schedules on the `webhooks` queue: the relay every PAPERBOY_EVENT_RELAY_MS (cheap: one
 * query, and a no-op add for an endpoint whose job exists) and the retention prune every hour.
 */
export function eventSchedules(relayMs: number): Schedule[] {
  return [
    { name: 'relay-events', id: 'events-relay', repeat: { every: relayMs }, payload: {} },
    { name: 'prune-events', id: 'events-prune', repeat: { every: 60 * 60_000 }, payload: {} },
  ];
}

/** Declares the events' schedules. Upserts: safe on every boot and from several processes at once. */
export function syncEventSchedulers(queues: Queues, relayMs: number): Promise<string[]> {
  return queues.declareSchedules(eventSchedules(relayMs));
}
