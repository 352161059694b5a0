import { DashboardRepository, type Db, type DashboardRefreshResult } from '@paperboy/db';
import { jobLogger, type Logger } from '@paperboy/logger';
import type { Job, JobPayload } from '@paperboy/queue';

/**
 * refresh-dashboard: recomputes the precomputed dashboard views (the days marked as changed, or
 * every day with `full`). Idempotent; refreshes from several processes run one at a time.
 */
export function createRefreshDashboardHandler(deps: { db: Db; logger: Logger }) {
  const dashboard = new DashboardRepository(deps.db);
  return async (payload: JobPayload<'refresh-dashboard'>, job: Job): Promise<DashboardRefreshResult> => {
    const result = await dashboard.refresh({ full: payload.full === true });
    jobLogger(deps.logger, job).info(result, 'dashboard views refreshed');
    return result;
  };
}
