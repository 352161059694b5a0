import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

/** A redis-server of a test's own, on a free port, that the test may stop, restart and flush (never the shared one). */
export interface PrivateRedis {
  url: string;
  port: number;
  /** SIGKILL: gone at once, as in a crash. Its data (no AOF) is gone with it. */
  kill(): Promise<void>;
  /** Starts it again on the same port (empty unless `aof` was asked for). */
  start(): Promise<void>;
  flushAll(): Promise<void>;
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function ping(url: string): Promise<boolean> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 500 });
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

/** Starts `redis-server` (Debian's, on PATH) as a child process; `aof` keeps its data across kill/start. */
export async function startPrivateRedis(options: { aof?: boolean } = {}): Promise<PrivateRedis> {
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  const dir = mkdtempSync(join(tmpdir(), 'paperboy-redis-'));
  let child: ChildProcess | undefined;

  const start = async () => {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--dir', dir, '--daemonize', 'no', '--appendonly', options.aof ? 'yes' : 'no'];
    child = spawn('redis-server', args, { stdio: 'ignore' });
    const deadline = Date.now() + 20_000;
    while (!(await ping(url))) {
      if (Date.now() > deadline) throw new Error(`private redis-server on port ${port} did not start`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  const kill = async () => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      running.once('exit', () => resolve());
      running.kill('SIGKILL');
    });
  };

  await start();
  return {
    url,
    port,
    kill,
    start,
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
  };
}
