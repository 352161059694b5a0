import { loadConfig } from '@paperboy/config';
import { createAppContext, serveHealth } from '@paperboy/runtime/context';
import { addProcessor } from './index.js';

// Entrypoint of a processor-only process: run as many as you like.
const ctx = createAppContext(loadConfig(), { name: 'processor' });
addProcessor(ctx);
await serveHealth(ctx);
ctx.lifecycle.installSignalHandlers();
ctx.lifecycle.start();
ctx.logger.info({ concurrency: ctx.config.processorConcurrency }, 'processor started');
