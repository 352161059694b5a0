import type { Config } from '@paperboy/config';
import { addFetcher, sourceSchedules, syncSchedulers } from '@paperboy/fetcher';
import type { Logger } from '@paperboy/logger';
import {
  addNotifier,
  digestSchedules,
  eventSchedules,
  syncDigestSchedulers,
  syncEventSchedulers,
} from '@paperboy/notifier';
import { addProcessor, dashboardSchedules, syncDashboardSchedulers } from '@paperboy/processor';
import { keepSchedules, serveHealth } from '@paperboy/runtime';
import { WorkerProcesses } from '../processes.js';
import { createCheckedContext } from '../run-ingest.js';

export async function start(config: Config, logger: Logger): Promise<void> {
  const ctx = await createCheckedContext(config, logger);
  const sources = addFetcher(ctx);
  addProcessor(ctx);
  addNotifier(ctx);
  // n-1 worker processes beside this one's workers, on the same queues; stopped with them, restarted if they die.
  const children =
    config.processes > 1
      ? new WorkerProcesses({
          config,
          count: config.processes - 1,
          roles: ['fetcher', 'processor', 'notifier'],
          logger,
          logLevel: logger.level,
          restart: true,
        })
      : undefined;
  if (children) ctx.lifecycle.addWorker(children);
  await serveHealth(ctx, children ? { processes: () => children.status() } : {});
  ctx.lifecycle.installSignalHandlers();
  if (config.schedules) {
    const schedulers = await syncSchedulers(ctx.queues, sources);
    const planners = await syncDigestSchedulers(ctx.queues);
    const relays = await syncEventSchedulers(ctx.queues, config.events.relayMs);
    const refreshes = await syncDashboardSchedulers(ctx.queues, config.dashboardRefreshSeconds, config.enrich.kinds);
    logger.info(
      { sources: sources.path, ...schedulers, planners, relays, refreshes },
      'source, digest, event and dashboard schedules in place',
    );
    // Checked again on every Redis reconnect and every PAPERBOY_SCHEDULE_CHECK_SECONDS: an emptied Redis heals.
    keepSchedules(ctx, [
      ...sourceSchedules(sources),
      ...digestSchedules(),
      ...eventSchedules(config.events.relayMs),
      ...dashboardSchedules(config.dashboardRefreshSeconds, config.enrich.kinds),
    ]);
  } else {
    logger.info('PAPERBOY_SCHEDULES=0: no schedules declared');
  }
  ctx.lifecycle.start();
  logger.info(
    {
      fetchConcurrency: config.fetch.concurrency,
      processorConcurrency: config.processorConcurrency,
      processes: config.processes,
    },
    'paperboy started: fetcher, processor and notifier',
  );
}
