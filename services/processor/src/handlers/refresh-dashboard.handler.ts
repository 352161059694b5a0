import { DashboardRepository, type Db, type DashboardRefreshResult } from '@paperboy/db';
import { jobLogger, type Logger } from '@paperboy/logger';
import type { Metrics } from '@paperboy/metrics';
import type { Job, JobPayload } from '@paperboy/queue';

/**
 * refresh-dashboard: recomputes the precomputed dashboard views (the days marked as changed, or
 * every day with `full`). Idempotent; refreshes from several processes run one at a time.
 */
export function createRefreshDashboardHandler(deps: { db: Db; logger: Logger; metrics?: Metrics }) {
  const dashboard = new DashboardRepository(deps.db);
  return async (payload: JobPayload<'refresh-dashboard'>, job: Job): Promise<DashboardRefreshResult> => {
    const result = await dashboard.refresh({ full: payload.full === true });
    deps.metrics?.dashboardRefreshSeconds.observe({ mode: result.mode }, result.durationMs / 1000);
    jobLogger(deps.logger, job).info(result, 'dashboard views refreshed');
    return result;
  };
}
