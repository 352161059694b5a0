import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

/**
 * A redis-server of a test's own, on a free port, for injecting faults (kill, restart empty or
 * from its AOF, FLUSHALL) without touching the shared server. Needs `redis-server` on the PATH.
 */
export interface PrivateRedis {
  url: string;
  port: number;
  /** FLUSHALL, as an operator's mistake or a failover to an empty replica would leave it. */
  flushall(): Promise<void>;
  /** SIGKILL: no shutdown save, clients see the connection drop. */
  kill(): Promise<void>;
  /**
   * Kills the server and starts it again on the same port: empty (`aof: false`, its files
   * deleted) or from its append-only file (`aof: true`, needs a server started with `aof`).
   */
  restart(options?: { aof?: boolean }): Promise<void>;
  /** Kills it and deletes its files. */
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export async function startPrivateRedis(options: { aof?: boolean } = {}): Promise<PrivateRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'paperboy-redis-'));
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | null = null;

  const launch = async (aof: boolean) => {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', aof ? 'yes' : 'no', '--dir', dir, '--daemonize', 'no'];
    const started = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    started.stdout!.on('data', (d) => (output += d));
    started.stderr!.on('data', (d) => (output += d));
    child = started;
    const deadline = Date.now() + 15_000;
    for (;;) {
      if (started.exitCode !== null) throw new Error(`redis-server on port ${port} exited at start:\n${output}`);
      if (await pings(url)) return;
      if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not answer PING within 15 s:\n${output}`);
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
    flushall: async () => {
      const redis = new Redis(url, { maxRetriesPerRequest: 1 });
      try {
        await redis.flushall();
      } finally {
        redis.disconnect();
      }
    },
    kill,
    restart: async ({ aof = false } = {}) => {
      await kill();
      if (!aof) {
        // Empty: nothing on disk to load from (redis-server needs its --dir to exist).
        rmSync(dir, { recursive: true, force: true });
        mkdirSync(dir);
      }
      await launch(aof);
    },
    stop: async () => {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function pings(url: string): Promise<boolean> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 1000, retryStrategy: () => null });
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
