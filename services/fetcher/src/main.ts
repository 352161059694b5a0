import { createAppContext } from '@paperboy/app';
import { loadConfig } from '@paperboy/config';
import { keepSchedules, runService, serveHealth, warnIfDatabaseNotReady } from '@paperboy/runtime';
import { addFetcher, sourceSchedules, syncSchedulers } from './index.js';

// Entrypoint of a fetcher-only process: run as many as you like. Each declares the sources'
// schedules on boot (upserts: safe from several processes at once), and again whenever Redis lost them.
await runService('fetcher', async () => {
  const ctx = createAppContext(loadConfig(), { name: 'fetcher' });
  const sources = addFetcher(ctx);
  await warnIfDatabaseNotReady(ctx); // `start` refuses instead (its preflight); a service waits for `migrate`
  await serveHealth(ctx);
  ctx.lifecycle.installSignalHandlers();
  const schedulers = ctx.config.schedules
    ? await syncSchedulers(ctx.queues, sources)
    : { schedules: 'not declared (PAPERBOY_SCHEDULES=0)' };
  keepSchedules(ctx, sourceSchedules(sources));
  ctx.lifecycle.start();
  ctx.logger.info(
    { concurrency: ctx.config.fetch.concurrency, sources: sources.path, ...schedulers },
    'fetcher started',
  );
});
