import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { freePort } from './private-postgres.js';

const run = promisify(execFile);

/**
 * A Redis Cluster of a test's own: three masters, no replicas, on free ports, joined with
 * `redis-cli --cluster create`. Needs `redis-server` and `redis-cli` on the PATH.
 */
export interface PrivateRedisCluster {
  /** The cluster form of REDIS_URL: `redis+cluster://127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3`. */
  url: string;
  /** Each master on its own, as a plain `redis://` URL (what a single-Redis client would be given). */
  nodeUrls: string[];
  ports: number[];
  /** Kills every node and deletes their files. */
  close(): Promise<void>;
}

export async function startPrivateRedisCluster(masters = 3): Promise<PrivateRedisCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'paperboy-redis-cluster-'));
  const ports: number[] = [];
  const children: ChildProcess[] = [];
  const close = async () => {
    await Promise.all(
      children.map((child) => {
        if (child.exitCode !== null || child.signalCode !== null) return undefined;
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGKILL');
        return exited;
      }),
    );
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < masters; i++) {
      // freePort closes its probe at once: take ports one by one so two nodes never get the same.
      const port = await freeNodePort(ports);
      ports.push(port);
      children.push(await launchNode(port, dir));
    }
    const nodes = ports.map((p) => `127.0.0.1:${p}`);
    await run('redis-cli', ['--cluster', 'create', ...nodes, '--cluster-replicas', '0', '--cluster-yes'], {
      timeout: 30_000,
    });
    await Promise.all(ports.map((port) => waitForClusterOk(port)));
  } catch (error) {
    await close();
    throw error;
  }
  return {
    url: `redis+cluster://${ports.map((p) => `127.0.0.1:${p}`).join(',')}`,
    nodeUrls: ports.map((p) => `redis://127.0.0.1:${p}`),
    ports,
    close,
  };
}

/** A free port whose cluster bus port (port + 10000) is free too, and not one already taken. */
async function freeNodePort(taken: number[]): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (
      port + 10_000 > 65_535 ||
      taken.includes(port) ||
      taken.includes(port + 10_000) ||
      taken.includes(port - 10_000)
    )
      continue;
    if (await portFree(port + 10_000)) return port;
  }
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

async function launchNode(port: number, dir: string): Promise<ChildProcess> {
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--daemonize',
    'no',
    '--cluster-enabled',
    'yes',
    '--cluster-config-file',
    join(dir, `nodes-${port}.conf`),
    '--save',
    '',
    '--appendonly',
    'no',
  ];
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`redis-server (cluster node) on port ${port} exited at start:\n${output}`);
    if ((await nodeCommand(port, ['ping']).catch(() => null)) === 'PONG') return child;
    if (Date.now() > deadline)
      throw new Error(`redis-server (cluster node) on port ${port} did not answer PING within 15 s:\n${output}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Polls `CLUSTER INFO` on one node until it says cluster_state:ok (every slot served, every node agreeing). */
async function waitForClusterOk(port: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  let last = '';
  for (;;) {
    last = String(await nodeCommand(port, ['cluster', 'info']).catch((e: Error) => e.message));
    if (/cluster_state:ok/.test(last)) return;
    if (Date.now() > deadline) throw new Error(`cluster node on port ${port} not ok within 30 s:\n${last}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function nodeCommand(port: number, command: string[]): Promise<unknown> {
  const redis = new Redis({
    port,
    host: '127.0.0.1',
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    connectTimeout: 1000,
    retryStrategy: () => null,
  });
  redis.on('error', () => {});
  try {
    await redis.connect();
    return await redis.call(command[0]!, ...command.slice(1));
  } finally {
    redis.disconnect();
  }
}
