import { createAppContext } from '@paperboy/app';
import { loadConfig } from '@paperboy/config';
import { keepSchedules, runService, serveHealth, warnIfDatabaseNotReady } from '@paperboy/runtime';
import { addProcessor, dashboardSchedules, syncDashboardSchedulers } from './index.js';

// Entrypoint of a processor-only process: run as many as you like.
await runService('processor', async () => {
  const ctx = createAppContext(loadConfig(), { name: 'processor' });
  addProcessor(ctx);
  await warnIfDatabaseNotReady(ctx); // `start` refuses instead (its preflight); a service waits for `migrate`
  await serveHealth(ctx);
  ctx.lifecycle.installSignalHandlers();
  const schedulers = ctx.config.schedules
    ? await syncDashboardSchedulers(ctx.queues, ctx.config.dashboardRefreshSeconds, ctx.config.enrich.kinds)
    : 'not declared (PAPERBOY_SCHEDULES=0)';
  keepSchedules(ctx, dashboardSchedules(ctx.config.dashboardRefreshSeconds, ctx.config.enrich.kinds));
  ctx.lifecycle.start();
  ctx.logger.info({ concurrency: ctx.config.processorConcurrency, schedulers }, 'processor started');
});
