import { declareSchedules, type Queues, type Schedule } from '@paperboy/queue';

const FREQUENCIES = ['daily', 'weekly'] as const;

/**
 * The digest planners: every 15 minutes, for each frequency, on the `planning` queue. Subscribers
 * are due once their local hour reaches their send hour, and a period is planned only once, so
 * running often costs little and catches every time zone within a quarter of an hour.
 */
export function digestSchedules(queues: Queues): Schedule[] {
  return FREQUENCIES.map((frequency) => ({
    queue: queues.get('planning'),
    id: `digest-planner-${frequency}`,
    repeat: { every: 15 * 60_000 },
    job: {
      name: 'plan-digests',
      data: { frequency },
      opts: { attempts: 3, backoff: { type: 'exponential', delay: 5000 }, removeOnComplete: { count: 200 }, removeOnFail: { count: 200 } },
    },
  }));
}

/**
 * Declares the digest planners. Upserts: safe on every boot. Planners that older versions
 * declared on the `notify` queue are removed.
 */
export async function syncDigestSchedulers(queues: Queues): Promise<string[]> {
  const ids = await declareSchedules(digestSchedules(queues));
  for (const id of ids) await queues.get('notify').removeJobScheduler(id);
  return ids;
}
