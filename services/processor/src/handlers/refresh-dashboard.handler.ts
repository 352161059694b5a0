import { type DashboardRefreshResult, DashboardRepository, type Db, SightingPartitionRepository } from '@paperboy/db';
import { jobLogger, type Logger } from '@paperboy/logger';
import type { Metrics } from '@paperboy/metrics';
import type { Job, JobPayload } from '@paperboy/queue';

/**
 * refresh-dashboard: recomputes the precomputed dashboard views (the days marked as changed, or
 * every day with `full`). Idempotent; refreshes from several processes run one at a time.
 * The nightly full one also creates the sightings partitions of the next months when missing
 * (until then their rows wait in the default partition: nothing is lost if it never runs).
 */
export function createRefreshDashboardHandler(deps: { db: Db; logger: Logger; metrics?: Metrics }) {
  const dashboard = new DashboardRepository(deps.db);
  const partitions = new SightingPartitionRepository(deps.db);
  return async (payload: JobPayload<'refresh-dashboard'>, job: Job): Promise<DashboardRefreshResult> => {
    if (payload.full === true) {
      const created = await partitions.ensure(3);
      if (created) jobLogger(deps.logger, job).info({ created }, 'sightings partitions created');
    }
    const result = await dashboard.refresh({ full: payload.full === true });
    deps.metrics?.dashboardRefreshSeconds.observe({ mode: result.mode }, result.durationMs / 1000);
    jobLogger(deps.logger, job).info(result, 'dashboard views refreshed');
    return result;
  };
}
