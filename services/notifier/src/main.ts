import { createAppContext } from '@paperboy/app';
import { loadConfig } from '@paperboy/config';
import { keepSchedules, runService, serveHealth, warnIfDatabaseNotReady } from '@paperboy/runtime';
import { addNotifier, digestSchedules, eventSchedules, syncDigestSchedulers, syncEventSchedulers } from './index.js';

// Entrypoint of a notifier-only process: run as many as you like (the send rate limit is shared).
await runService('notifier', async () => {
  const ctx = createAppContext(loadConfig(), { name: 'notifier' });
  addNotifier(ctx);
  await warnIfDatabaseNotReady(ctx); // `start` refuses instead (its preflight); a service waits for `migrate`
  await serveHealth(ctx);
  ctx.lifecycle.installSignalHandlers();
  const planners = ctx.config.schedules
    ? [
        ...(await syncDigestSchedulers(ctx.queues)),
        ...(await syncEventSchedulers(ctx.queues, ctx.config.events.relayMs)),
      ]
    : 'not declared (PAPERBOY_SCHEDULES=0)';
  keepSchedules(ctx, [...digestSchedules(), ...eventSchedules(ctx.config.events.relayMs)]);
  ctx.lifecycle.start();
  ctx.logger.info(
    { concurrency: ctx.config.mail.concurrency, perMinute: ctx.config.mail.perMinute, planners },
    'notifier started',
  );
});
