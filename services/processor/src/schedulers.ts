import type { Queue } from '@paperboy/queue';

export const DASHBOARD_REFRESH_SCHEDULER = 'dashboard-refresh';
export const DASHBOARD_REBUILD_SCHEDULER = 'dashboard-rebuild-nightly';

/**
 * The dashboard refreshes: an incremental one every `everySeconds` (only the days that changed)
 * and a full rebuild nightly at 03:37 UTC, which also catches any change the day marks missed.
 * Upserts: safe on every boot and from several processes.
 */
export async function syncDashboardSchedulers(queue: Queue, everySeconds: number): Promise<string[]> {
  const opts = { attempts: 3, backoff: { type: 'exponential', delay: 10_000 }, removeOnComplete: { count: 100 }, removeOnFail: { count: 100 } };
  await queue.upsertJobScheduler(DASHBOARD_REFRESH_SCHEDULER, { every: everySeconds * 1000 }, { name: 'refresh-dashboard', data: {}, opts });
  await queue.upsertJobScheduler(DASHBOARD_REBUILD_SCHEDULER, { pattern: '37 3 * * *', tz: 'UTC' }, { name: 'refresh-dashboard', data: { full: true }, opts });
  return [DASHBOARD_REFRESH_SCHEDULER, DASHBOARD_REBUILD_SCHEDULER];
}
