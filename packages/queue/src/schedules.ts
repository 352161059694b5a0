import type { JobSchedulerTemplateOptions, Queue, RepeatOptions } from 'bullmq';

/**
 * One job scheduler as a process declares it. Services describe their schedules with this, so
 * that the same list serves the declaration on boot and the later checks that re-declare what an
 * emptied Redis lost.
 */
export interface Schedule {
  queue: Queue;
  id: string;
  repeat: Omit<RepeatOptions, 'key'>;
  job: { name: string; data: unknown; opts: JobSchedulerTemplateOptions };
}

/** Upserts every schedule: safe on every boot and from several processes at once. */
export async function declareSchedules(schedules: readonly Schedule[]): Promise<string[]> {
  for (const schedule of schedules) {
    await schedule.queue.upsertJobScheduler(schedule.id, schedule.repeat, schedule.job);
  }
  return schedules.map((s) => s.id);
}

/**
 * The schedules whose scheduler is not in Redis: a ZSCORE per id on its queue's scheduler set,
 * sent at once, so checking often costs next to nothing.
 */
export async function missingSchedules(schedules: readonly Schedule[]): Promise<Schedule[]> {
  const byQueue = new Map<Queue, Schedule[]>();
  for (const schedule of schedules) byQueue.set(schedule.queue, [...(byQueue.get(schedule.queue) ?? []), schedule]);
  const missing: Schedule[] = [];
  for (const [queue, ofQueue] of byQueue) {
    const client = await queue.client;
    // Sent together without waiting for each reply: one round trip in practice.
    const scores = await Promise.all(ofQueue.map((schedule) => client.zscore(queue.keys.repeat!, schedule.id)));
    ofQueue.forEach((schedule, i) => {
      if (scores[i] === null) missing.push(schedule);
    });
  }
  return missing;
}

/**
 * Re-declares the schedules missing from Redis (after a flush, a restart without persistence or a
 * failover to an empty replica) and returns their ids. Those present are left alone: their next
 * run stays as it was. Two processes re-declaring the same one at once is safe (an upsert).
 */
export async function redeclareMissingSchedules(schedules: readonly Schedule[]): Promise<string[]> {
  return declareSchedules(await missingSchedules(schedules));
}
