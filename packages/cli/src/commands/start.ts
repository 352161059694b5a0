import type { Config } from '@paperboy/config';
import { addFetcher } from '@paperboy/fetcher';
import type { Logger } from '@paperboy/logger';
import { addProcessor } from '@paperboy/processor';
import { createAppContext } from '@paperboy/runtime/context';
import type { CommandSpec } from '../args.js';
import { preflight } from '../run-ingest.js';

export const startSpec: CommandSpec = {
  name: 'start',
  summary: 'Run the fetcher and the processor in one process until SIGINT or SIGTERM.',
  usage: 'start',
  options: {},
  details:
    'For larger setups run the services as separate processes, as many of each as you like:\n' +
    '  pnpm --filter @paperboy/fetcher start    pnpm --filter @paperboy/processor start',
};

export async function start(config: Config, logger: Logger): Promise<void> {
  const ctx = createAppContext(config, { logger });
  try {
    await preflight(ctx);
  } catch (error) {
    await ctx.lifecycle.shutdown();
    throw error;
  }
  addFetcher(ctx);
  addProcessor(ctx);
  ctx.lifecycle.installSignalHandlers();
  ctx.lifecycle.start();
  logger.info({ fetchConcurrency: config.fetch.concurrency, processorConcurrency: config.processorConcurrency }, 'paperboy started: fetcher and processor');
}
