import { declareSchedules, type Queue, type Schedule } from '@paperboy/queue';

export const DASHBOARD_REFRESH_SCHEDULER = 'dashboard-refresh';
export const DASHBOARD_REBUILD_SCHEDULER = 'dashboard-rebuild-nightly';

/**
 * The dashboard refreshes: an incremental one every `everySeconds` (only the days that changed)
 * and a full rebuild nightly at 03:37 UTC, which also catches any change the day marks missed.
 */
export function dashboardSchedules(queue: Queue, everySeconds: number): Schedule[] {
  const opts = { attempts: 3, backoff: { type: 'exponential', delay: 10_000 }, removeOnComplete: { count: 100 }, removeOnFail: { count: 100 } };
  return [
    { queue, id: DASHBOARD_REFRESH_SCHEDULER, repeat: { every: everySeconds * 1000 }, job: { name: 'refresh-dashboard', data: {}, opts } },
    { queue, id: DASHBOARD_REBUILD_SCHEDULER, repeat: { pattern: '37 3 * * *', tz: 'UTC' }, job: { name: 'refresh-dashboard', data: { full: true }, opts } },
  ];
}

/** Declares the dashboard refreshes. Upserts: safe on every boot and from several processes. */
export function syncDashboardSchedulers(queue: Queue, everySeconds: number): Promise<string[]> {
  return declareSchedules(dashboardSchedules(queue, everySeconds));
}
