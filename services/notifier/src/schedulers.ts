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
