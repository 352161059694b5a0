import type { Queue } from '@paperboy/queue';

/**
 * The digest planners: every 15 minutes, for each frequency. Subscribers are due once their local
 * hour reaches their send hour, and a period is planned only once, so running often costs little
 * and catches every time zone within a quarter of an hour. Upserts: safe on every boot.
 */
export async function syncDigestSchedulers(queue: Queue): Promise<string[]> {
  const ids: string[] = [];
  for (const frequency of ['daily', 'weekly'] as const) {
    const id = `digest-planner-${frequency}`;
    await queue.upsertJobScheduler(id, { every: 15 * 60_000 }, {
      name: 'plan-digests',
      data: { frequency },
      opts: { attempts: 3, backoff: { type: 'exponential', delay: 5000 }, removeOnComplete: { count: 200 }, removeOnFail: { count: 200 } },
    });
    ids.push(id);
  }
  return ids;
}
