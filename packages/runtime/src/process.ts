import { pendingMigrations } from '@paperboy/db';
import { metricsHandler } from '@paperboy/metrics';
import type { ProcessContext } from './context.js';
import { type HealthServerOptions, readinessChecks, startHealthServer } from './health.js';

/**
 * Starts the process's /healthz, /readyz and /metrics server when PAPERBOY_HEALTH_PORT is set,
 * closed with the process. One per process, whatever services it runs; `processes` lists the worker
 * processes it supervises in /healthz.
 */
export async function serveHealth(
  ctx: ProcessContext,
  options: Pick<HealthServerOptions, 'processes'> = {},
): Promise<void> {
  if (!ctx.config.healthPort) return;
  const health = await startHealthServer({
    ...options,
    port: ctx.config.healthPort,
    checks: readinessChecks(ctx),
    metrics: metricsHandler(ctx.metrics.registry),
  }).catch((error: unknown) => {
    throw listenError('PAPERBOY_HEALTH_PORT', ctx.config.healthPort!, error);
  });
  ctx.lifecycle.addResource('health server', () => health.close());
  ctx.logger.info({ port: health.port }, 'health server listening');
}

/**
 * Says at start-up when the database cannot serve this code yet: migrations pending (a service
 * started before `migrate`, or a new version before its migrations) or Postgres unreachable. The
 * service still starts (jobs retry, /readyz answers 503 naming the cause), but the log says why.
 */
export async function warnIfDatabaseNotReady(ctx: Pick<ProcessContext, 'db' | 'logger'>): Promise<void> {
  try {
    const pending = await pendingMigrations(ctx.db);
    if (pending.length)
      ctx.logger.warn(
        { pending },
        `the database lacks ${pending.length} migration(s): run \`pnpm paperboy migrate\` (until then jobs fail and /readyz answers 503)`,
      );
  } catch (error) {
    ctx.logger.warn(
      { err: error },
      "cannot read the database's migrations: is Postgres reachable and the database created (`pnpm paperboy migrate`)?",
    );
  }
}

/** A failure to listen on a configured port, said in one line that names the setting. */
export function listenError(setting: string, port: number, error: unknown): Error {
  const code = (error as NodeJS.ErrnoException).code;
  const why =
    code === 'EADDRINUSE'
      ? 'the port is already in use'
      : code === 'EACCES'
        ? 'not allowed to listen on it'
        : (error as Error).message;
  return new Error(`cannot listen on ${setting}=${port}: ${why}`, { cause: error });
}

/**
 * Runs a service entrypoint: a failure to start (bad configuration, a port in use, Postgres or
 * Redis unreachable) is one line on stderr and exit status 1, not a stack trace.
 */
export async function runService(name: string, start: () => Promise<void>): Promise<void> {
  try {
    await start();
  } catch (error) {
    process.stderr.write(`paperboy ${name}: ${(error as Error).message}\n`);
    process.exit(1);
  }
}
