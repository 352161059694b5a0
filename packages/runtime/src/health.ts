import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Db, pendingMigrations, ping } from '@paperboy/db';
import type { ProcessContext } from './context.js';

export interface ReadinessChecks {
  /** Resolves when Postgres answers. */
  postgres: () => Promise<void>;
  /** Resolves when Redis answers. */
  redis: () => Promise<void>;
  /** Names of the migrations this code knows that the database has not run. */
  migrations: () => Promise<string[]>;
  /** Resolves when the read replica answers (only a process with a DATABASE_READ_URL of its own has this check). */
  replica?: () => Promise<void>;
}

export interface HealthServerOptions {
  /** 0 picks a free port (see the returned `port`). */
  port: number;
  /** Default 0.0.0.0 (probes and scrapers come from outside the container). */
  host?: string;
  checks: ReadinessChecks;
  /** Serves GET /metrics when given (`metricsHandler(registry)` of @paperboy/metrics fits). */
  metrics?: { contentType: string; body(): Promise<string> };
  /** How long each readiness check may take. Default 2000 ms. */
  checkTimeoutMs?: number;
  /** The worker processes this process supervises (`start --processes`), listed by /healthz. */
  processes?: () => ReadonlyArray<{ state: string }>;
}

export interface HealthServer {
  port: number;
  close(): Promise<void>;
}

export type CheckName = keyof ReadinessChecks;

export interface Readiness {
  status: 'ok' | 'unready';
  /** `ok`, or what went wrong (`timeout after 2000 ms`, an error message, `1 pending: …`); `replica` only when checked. */
  checks: Record<Exclude<CheckName, 'replica'>, string> & { replica?: string };
}

/** Runs the checks in parallel, each bounded by `timeoutMs`. */
export async function checkReadiness(checks: ReadinessChecks, timeoutMs = 2000): Promise<Readiness> {
  const [postgres, redis, migrations, replica] = await Promise.all([
    runCheck(checks.postgres, timeoutMs, () => 'ok'),
    runCheck(checks.redis, timeoutMs, () => 'ok'),
    runCheck(checks.migrations, timeoutMs, (pending) =>
      pending.length === 0 ? 'ok' : `${pending.length} pending: ${pending.join(', ')}`,
    ),
    checks.replica ? runCheck(checks.replica, timeoutMs, () => 'ok') : undefined,
  ]);
  const result = { postgres, redis, migrations, ...(replica === undefined ? {} : { replica }) };
  const ok = Object.values(result).every((outcome) => outcome === 'ok');
  return { status: ok ? 'ok' : 'unready', checks: result };
}

async function runCheck<T>(
  check: () => Promise<T>,
  timeoutMs: number,
  describe: (value: T) => string,
): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<{ timedOut: true }>((resolve) => {
    timer = setTimeout(() => resolve({ timedOut: true }), timeoutMs);
    timer.unref();
  });
  try {
    const outcome = await Promise.race([
      // Called inside the race so a check that throws synchronously is reported, not thrown.
      Promise.resolve()
        .then(check)
        .then((value) => ({ timedOut: false as const, value })),
      timeout,
    ]);
    return outcome.timedOut ? `timeout after ${timeoutMs} ms` : describe(outcome.value);
  } catch (error) {
    return errorMessage(error);
  } finally {
    clearTimeout(timer);
  }
}

function errorMessage(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length) {
    // pg and net report a refused connection to localhost (::1 and 127.0.0.1) as an AggregateError without a message.
    return [...new Set(error.errors.map(errorMessage))].join('; ');
  }
  if (error instanceof Error) return error.message || error.name || 'error';
  return String(error);
}

/**
 * A small HTTP server for probes and scrapes, on a port of its own (workers have no HTTP
 * server otherwise): `/healthz` (the process is up, and its worker processes when it has some), `/readyz` (Postgres and Redis answer and
 * no migration is pending), `/metrics` (when metrics are given). Register `close` in the
 * Lifecycle.
 */
export async function startHealthServer(options: HealthServerOptions): Promise<HealthServer> {
  const timeoutMs = options.checkTimeoutMs ?? 2000;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const known = path === '/healthz' || path === '/readyz' || (path === '/metrics' && options.metrics);
    if (!known) return send(res, 404, 'application/json', JSON.stringify({ error: 'not found' }));
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return send(res, 405, 'application/json', JSON.stringify({ error: 'method not allowed' }));
    }
    if (path === '/healthz') {
      // The process is up; its worker processes are listed (one restarting does not make it unhealthy).
      const processes = options.processes?.();
      const body = processes
        ? { status: 'ok', processes, running: processes.filter((p) => p.state === 'running').length }
        : { status: 'ok' };
      return send(res, 200, 'application/json', JSON.stringify(body));
    }
    if (path === '/readyz') {
      const readiness = await checkReadiness(options.checks, timeoutMs);
      return send(res, readiness.status === 'ok' ? 200 : 503, 'application/json', JSON.stringify(readiness));
    }
    const metrics = options.metrics!;
    try {
      const body = await metrics.body();
      return send(res, 200, metrics.contentType, body);
    } catch (error) {
      return send(res, 500, 'text/plain; charset=utf-8', `metrics failed: ${errorMessage(error)}\n`);
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', `${errorMessage(error)}\n`);
      else res.destroy();
    });
  });
  // Probes connect often; do not keep idle sockets around for long.
  server.keepAliveTimeout = 5000;

  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once('error', onError);
    server.listen(options.port, options.host ?? '0.0.0.0', () => {
      server.off('error', onError);
      resolve();
    });
  });
  // Errors after listening (a broken socket) must not crash the process.
  server.on('error', () => {});
  server.on('clientError', (_error, socket) => socket.destroy());

  let closing: Promise<void> | null = null;
  return {
    port: (server.address() as AddressInfo).port,
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', contentType);
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

/**
 * The readiness checks of a process's connections: Postgres `select 1`, Redis `PING` (on the
 * producer connection, which fails a command rather than waiting out an outage), and the
 * migrations this code knows that the database has not run; with `readDb` (a pool on
 * DATABASE_READ_URL other than DATABASE_URL), also `select 1` on the replica.
 */
export function readinessChecks(ctx: Pick<ProcessContext, 'db' | 'producerRedis'> & { readDb?: Db }): ReadinessChecks {
  const readDb = ctx.readDb && ctx.readDb !== ctx.db ? ctx.readDb : undefined;
  return {
    ...(readDb
      ? {
          replica: async () => {
            await ping(readDb);
          },
        }
      : {}),
    postgres: async () => {
      await ping(ctx.db);
    },
    redis: async () => {
      const reply = await ctx.producerRedis.ping();
      if (reply !== 'PONG') throw new Error(`unexpected PING reply: ${reply}`);
    },
    migrations: () => pendingMigrations(ctx.db),
  };
}
