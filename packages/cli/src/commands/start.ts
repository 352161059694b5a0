import type { Config } from '@paperboy/config';
import { addFetcher, syncSchedulers } from '@paperboy/fetcher';
import type { Logger } from '@paperboy/logger';
import { addNotifier, syncDigestSchedulers } from '@paperboy/notifier';
import { addProcessor } from '@paperboy/processor';
import { serveHealth } from '@paperboy/runtime/context';
import type { CommandSpec } from '../args.js';
import { createCheckedContext } from '../run-ingest.js';

export const startSpec: CommandSpec = {
  name: 'start',
  summary: 'Crawl the configured sources on their schedules and send due digests: fetcher, processor and notifier in one process until SIGINT or SIGTERM.',
  usage: 'start',
  options: {},
  details:
    'On boot it declares one job scheduler per enabled source of the sources file (PAPERBOY_SOURCES) and\n' +
    'removes those of removed or disabled sources; safe on every boot and from several processes.\n' +
    'For larger setups run the services as separate processes, as many of each as you like:\n' +
    '  pnpm --filter @paperboy/fetcher start    pnpm --filter @paperboy/processor start',
};

export async function start(config: Config, logger: Logger): Promise<void> {
  const ctx = await createCheckedContext(config, logger);
  const sources = addFetcher(ctx);
  addProcessor(ctx);
  addNotifier(ctx);
  await serveHealth(ctx);
  ctx.lifecycle.installSignalHandlers();
  const schedulers = await syncSchedulers(ctx.queues.get('crawl'), sources);
  const planners = await syncDigestSchedulers(ctx.queues.get('notify'));
  logger.info({ sources: sources.path, ...schedulers, planners }, 'source and digest schedules in place');
  ctx.lifecycle.start();
  logger.info({ fetchConcurrency: config.fetch.concurrency, processorConcurrency: config.processorConcurrency }, 'paperboy started: fetcher, processor and notifier');
}
