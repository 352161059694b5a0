import type { Config } from '@paperboy/config';
import { addFetcher, sourceSchedules, syncSchedulers } from '@paperboy/fetcher';
import type { Logger } from '@paperboy/logger';
import { addNotifier, digestSchedules, syncDigestSchedulers } from '@paperboy/notifier';
import { addProcessor, dashboardSchedules, syncDashboardSchedulers } from '@paperboy/processor';
import { serveHealth } from '@paperboy/runtime/context';
import { keepSchedules } from '@paperboy/runtime/schedules';
import type { CommandSpec } from '../args.js';
import { createCheckedContext } from '../run-ingest.js';

export const startSpec: CommandSpec = {
  name: 'start',
  summary: 'Crawl the configured sources on their schedules, refresh the dashboard views and send due digests: fetcher, processor and notifier in one process until SIGINT or SIGTERM.',
  usage: 'start',
  options: {},
  details:
    'On boot it declares its job schedulers: one per enabled source of the sources file (PAPERBOY_SOURCES;\n' +
    'those of removed or disabled sources are removed), the daily archive pruning, the digest planners (every\n' +
    '15 minutes) and the dashboard refreshes (every PAPERBOY_DASHBOARD_REFRESH_SECONDS, a full rebuild nightly). Safe on every\n' +
    'boot and from several processes; the separate service processes declare their own the same way.\n' +
    'While running, each process re-declares any of its schedules missing from Redis (after a flush or a restart\n' +
    'without persistence), on every reconnect and every PAPERBOY_SCHEDULE_CHECK_SECONDS (default 60).\n' +
    'For larger setups run the services as separate processes, as many of each as you like:\n' +
    '  pnpm --filter @paperboy/fetcher start    pnpm --filter @paperboy/processor start    pnpm --filter @paperboy/notifier start',
};

export async function start(config: Config, logger: Logger): Promise<void> {
  const ctx = await createCheckedContext(config, logger);
  const sources = addFetcher(ctx);
  addProcessor(ctx);
  addNotifier(ctx);
  await serveHealth(ctx);
  ctx.lifecycle.installSignalHandlers();
  if (config.schedules) {
    const schedulers = await syncSchedulers(ctx.queues, sources);
    const planners = await syncDigestSchedulers(ctx.queues);
    const refreshes = await syncDashboardSchedulers(ctx.queues, config.dashboardRefreshSeconds);
    logger.info({ sources: sources.path, ...schedulers, planners, refreshes }, 'source, digest and dashboard schedules in place');
    // Checked again on every Redis reconnect and every PAPERBOY_SCHEDULE_CHECK_SECONDS: an emptied Redis heals.
    keepSchedules(ctx, [
      ...sourceSchedules(sources),
      ...digestSchedules(),
      ...dashboardSchedules(config.dashboardRefreshSeconds),
    ]);
  } else {
    logger.info('PAPERBOY_SCHEDULES=0: no schedules declared');
  }
  ctx.lifecycle.start();
  logger.info({ fetchConcurrency: config.fetch.concurrency, processorConcurrency: config.processorConcurrency }, 'paperboy started: fetcher, processor and notifier');
}
