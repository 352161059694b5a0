import { createAppContext } from '@paperboy/app';
import type { Config } from '@paperboy/config';
import { addFetcher } from '@paperboy/fetcher';
import type { Logger } from '@paperboy/logger';
import { addNotifier } from '@paperboy/notifier';
import { addProcessor } from '@paperboy/processor';
import { loadSourcesFile } from '@paperboy/sources-file';
import { UsageError } from '../args.js';
import { type ChildMessage, type ParentMessage, WORKER_COMMAND, WORKER_ROLES, type WorkerRole } from '../processes.js';

/** `--roles fetcher,processor`: the workers a worker process runs. */
export function parseRoles(raw: string | undefined): WorkerRole[] {
  const roles = (raw ?? '').split(',').filter(Boolean);
  if (!roles.length || roles.some((r) => !(WORKER_ROLES as readonly string[]).includes(r)))
    throw new UsageError(`${WORKER_COMMAND}: --roles takes ${WORKER_ROLES.join(', ')}, got ${JSON.stringify(raw)}`);
  return roles as WorkerRole[];
}

/**
 * A worker process of `start` or `ingest` (`paperboy worker`, hidden): only BullMQ workers, on the queues
 * of the configuration its parent handed down. It stops gracefully (finishing the jobs it holds) on the
 * parent's `stop` message, on SIGINT or SIGTERM, and when its parent is gone (the IPC channel closes), so
 * a killed parent leaves no worker behind.
 */
export async function worker(config: Config, roles: WorkerRole[], logger: Logger): Promise<void> {
  const ctx = createAppContext(config, { logger });
  // Crawls a dead process left running are closed by the parent when it starts, not by each child again.
  if (roles.includes('fetcher')) addFetcher(ctx, loadSourcesFile(config.sourcesPath), { closeInterrupted: false });
  if (roles.includes('processor')) addProcessor(ctx);
  if (roles.includes('notifier')) addNotifier(ctx);
  const send = (message: ChildMessage) => {
    if (process.connected) process.send?.(message, () => {});
  };
  let completed = 0;
  for (const runnable of ctx.lifecycle.runnables) {
    (runnable as { on?: (event: string, listener: () => void) => void }).on?.('completed', () => {
      completed++;
    });
  }
  let reported = -1;
  const report = setInterval(() => {
    if (completed !== reported) send({ type: 'jobs', completed });
    reported = completed;
  }, 500);
  report.unref();
  const stop = (why: string) => {
    logger.info({ why }, 'worker process stopping');
    ctx.lifecycle.shutdown().then(
      () => {
        send({ type: 'jobs', completed });
        process.exit(0);
      },
      () => process.exit(1),
    );
  };
  process.on('message', (message: ParentMessage) => {
    if (message?.type === 'stop') stop('asked by the parent');
  });
  process.on('disconnect', () => stop('parent gone'));
  ctx.lifecycle.installSignalHandlers();
  ctx.lifecycle.start();
  send({ type: 'ready', roles });
  logger.info({ roles }, 'worker process running');
}
