import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './private-postgres.js';

/**
 * A redis-server of a test's own, on a free port, for injecting faults (a crash, a restart empty or
 * from its append-only file, a FLUSHALL) without touching the shared server. Needs `redis-server`
 * on the PATH.
 */
export interface PrivateRedis {
  url: string;
  port: number;
  /** SIGKILL: gone at once, as in a crash; clients see the connection drop. */
  kill(): Promise<void>;
  /** Starts it again on the same port: from its append-only file when started with `aof`, else empty. */
  start(): Promise<void>;
  /** Kills it and starts it again: empty (`aof: false`, its files deleted) or from its AOF (`aof: true`). */
  restart(options?: { aof?: boolean }): Promise<void>;
  /** FLUSHALL, as an operator's mistake or a failover to an empty replica would leave it. */
  flushAll(): Promise<void>;
  /** Kills it and deletes its files. */
  close(): Promise<void>;
  /** Sends a signal to the running server, e.g. SIGSTOP/SIGCONT for a network stall (connections stay open, nothing answers). */
  signal(signal: NodeJS.Signals): void;
}

/** `aof`: append-only with fsync on every write, so what was acknowledged survives a SIGKILL. */
export async function startPrivateRedis(options: { aof?: boolean } = {}): Promise<PrivateRedis> {
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  const dir = mkdtempSync(join(tmpdir(), 'paperboy-redis-'));
  let child: ChildProcess | null = null;

  const launch = async (aof: boolean) => {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--dir', dir, '--daemonize', 'no'];
    args.push(...(aof ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']));
    const started = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    started.stdout!.on('data', (d) => (output += d));
    started.stderr!.on('data', (d) => (output += d));
    child = started;
    const deadline = Date.now() + 15_000;
    for (;;) {
      if (started.exitCode !== null) throw new Error(`redis-server on port ${port} exited at start:\n${output}`);
      if (await pings(url)) return;
      if (Date.now() > deadline)
        throw new Error(`redis-server on port ${port} did not answer PING within 15 s:\n${output}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  const kill = async () => {
    const running = child;
    child = null;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGKILL');
    await exited;
  };

  await launch(options.aof ?? false);
  return {
    url,
    port,
    kill,
    start: () => launch(options.aof ?? false),
    restart: async ({ aof = false } = {}) => {
      await kill();
      if (!aof) {
        // Empty: nothing on disk to load from (redis-server needs its --dir to exist).
        rmSync(dir, { recursive: true, force: true });
        mkdirSync(dir);
      }
      await launch(aof);
    },
    flushAll: async () => {
      const redis = new Redis(url, { maxRetriesPerRequest: 1 });
      try {
        await redis.flushall();
      } finally {
        redis.disconnect();
      }
    },
    close: async () => {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
    signal: (signal) => {
      const running = child as ChildProcess | null;
      if (!running || running.exitCode !== null || running.signalCode !== null)
        throw new Error(`redis-server on port ${port} is not running`);
      running.kill(signal);
    },
  };
}

async function pings(url: string): Promise<boolean> {
  const redis = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    connectTimeout: 1000,
    retryStrategy: () => null,
  });
  redis.on('error', () => {});
  try {
    await redis.connect();
    return (await redis.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}
