import type { Queues } from '@paperboy/queue';

/**
 * The digest planners: every 15 minutes, for each frequency, on the `planning` queue. Subscribers
 * are due once their local hour reaches their send hour, and a period is planned only once, so
 * running often costs little and catches every time zone within a quarter of an hour. Upserts:
 * safe on every boot. Planners that older versions declared on the `notify` queue are removed.
 */
export async function syncDigestSchedulers(queues: Queues): Promise<string[]> {
  const ids: string[] = [];
  for (const frequency of ['daily', 'weekly'] as const) {
    const id = `digest-planner-${frequency}`;
    await queues.get('planning').upsertJobScheduler(id, { every: 15 * 60_000 }, {
      name: 'plan-digests',
      data: { frequency },
      opts: { attempts: 3, backoff: { type: 'exponential', delay: 5000 }, removeOnComplete: { count: 200 }, removeOnFail: { count: 200 } },
    });
    await queues.get('notify').removeJobScheduler(id);
    ids.push(id);
  }
  return ids;
}
