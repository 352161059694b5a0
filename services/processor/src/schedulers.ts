import type { Queues, Schedule } from '@paperboy/queue';

export const DASHBOARD_REFRESH_SCHEDULER = 'dashboard-refresh';
export const DASHBOARD_REBUILD_SCHEDULER = 'dashboard-rebuild-nightly';

/**
 * The dashboard refreshes: an incremental one every `everySeconds` (only the days that changed)
 * and a full rebuild nightly at 03:37 UTC, which also catches any change the day marks missed.
 */
export function dashboardSchedules(everySeconds: number): Schedule[] {
  return [
    { name: 'refresh-dashboard', id: DASHBOARD_REFRESH_SCHEDULER, repeat: { every: everySeconds * 1000 }, payload: {} },
    {
      name: 'refresh-dashboard',
      id: DASHBOARD_REBUILD_SCHEDULER,
      repeat: { pattern: '37 3 * * *', tz: 'UTC' },
      payload: { full: true },
    },
  ];
}

/** Declares the dashboard refreshes. Upserts: safe on every boot and from several processes. */
export function syncDashboardSchedulers(queues: Queues, everySeconds: number): Promise<string[]> {
  return queues.declareSchedules(dashboardSchedules(everySeconds));
}
