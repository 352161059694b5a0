import {
  appendEventsByType,
  type DashboardRefreshResult,
  DashboardRepository,
  type Db,
  EventStateRepository,
  PaperRepository,
  SightingPartitionRepository,
} from '@paperboy/db';
import { jobLogger, type Logger } from '@paperboy/logger';
import { countEmittedEvents, type Metrics } from '@paperboy/metrics';
import { outboxEvent } from '@paperboy/pipeline';
import type { Job, JobPayload } from '@paperboy/queue';
import { eventPaper } from '../paper-events.js';

/**
 * The papers that entered the trending top `n` since the last refresh, each a paper.trending
 * (reason `top`, its rank), in the refresh's transaction: the list and its events commit together.
 * Papers that left are forgotten, so a re-entry is announced again.
 */
export async function announceTrendingTop(trx: Db, n: number): Promise<Record<string, number>> {
  const top = await new DashboardRepository(trx).trendingNow(n);
  const entered = await new EventStateRepository(trx).replaceTrending(top.map((row) => row.paperId));
  if (entered.length === 0) return {};
  const papers = await new PaperRepository(trx).snapshotPapers(entered.map((e) => e.paperId));
  return appendEventsByType(
    trx,
    entered.flatMap(({ paperId, rank }) => {
      const paper = papers.get(paperId);
      if (!paper) return [];
      return [
        outboxEvent(
          'paper.trending',
          { paper: eventPaper(paper), reason: 'top', threshold: null, rank },
          { paperId, topics: paper.topics },
        ),
      ];
    }),
  );
}

/**
 * refresh-dashboard: recomputes the precomputed dashboard views (the days marked as changed, or
 * every day with `full`). Idempotent; refreshes from several processes run one at a time (the
 * refresh's advisory lock is held until its transaction commits, the trending announcements with it).
 * The nightly full one also creates the sightings partitions of the next months when missing
 * (until then their rows wait in the default partition: nothing is lost if it never runs).
 * With `trendingTop` > 0, papers entering the trending top N are events (paper.trending, reason top).
 */
export function createRefreshDashboardHandler(deps: {
  db: Db;
  logger: Logger;
  metrics?: Metrics;
  trendingTop?: number;
}) {
  const partitions = new SightingPartitionRepository(deps.db);
  const trendingTop = deps.trendingTop ?? 0;
  return async (payload: JobPayload<'refresh-dashboard'>, job: Job): Promise<DashboardRefreshResult> => {
    if (payload.full === true) {
      const created = await partitions.ensure(3);
      if (created) jobLogger(deps.logger, job).info({ created }, 'sightings partitions created');
    }
    const { result, events } = await deps.db.transaction().execute(async (trx) => {
      const refreshed = await new DashboardRepository(trx).refresh({ full: payload.full === true });
      return { result: refreshed, events: trendingTop > 0 ? await announceTrendingTop(trx, trendingTop) : {} };
    });
    countEmittedEvents(deps.metrics, events);
    deps.metrics?.dashboardRefreshSeconds.observe({ mode: result.mode }, result.durationMs / 1000);
    jobLogger(deps.logger, job).info(
      { ...result, trendingEntered: events['paper.trending'] ?? 0 },
      'dashboard views refreshed',
    );
    return result;
  };
}
