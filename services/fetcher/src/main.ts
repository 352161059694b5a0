import { loadConfig } from '@paperboy/config';
import { createAppContext, serveHealth } from '@paperboy/runtime/context';
import { addFetcher } from './index.js';

// Entrypoint of a fetcher-only process: run as many as you like.
const ctx = createAppContext(loadConfig(), { name: 'fetcher' });
addFetcher(ctx);
await serveHealth(ctx);
ctx.lifecycle.installSignalHandlers();
ctx.lifecycle.start();
ctx.logger.info({ concurrency: ctx.config.fetch.concurrency }, 'fetcher started');
