import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { type Config, configToEnv, MAX_PROCESSES } from '@paperboy/config';
import type { Logger } from '@paperboy/logger';
import { UsageError } from './args.js';

/**
 * Worker processes of `start` and `ingest`: the command's own process keeps its role (schedules and
 * health, or adding crawl jobs and collecting results) and runs its workers; N-1 children run only
 * BullMQ workers on the same queues. Each child is `paperboy worker --roles …` (a hidden command),
 * started with this process's node flags and exactly its effective configuration (`configToEnv`).
 */

export const WORKER_ROLES = ['fetcher', 'processor', 'notifier'] as const;
export type WorkerRole = (typeof WORKER_ROLES)[number];

/** The hidden command a worker process runs; not listed in `--help`. */
export const WORKER_COMMAND = 'worker';

/** Messages between a worker process and its parent over the IPC channel. */
export type ChildMessage = { type: 'ready'; roles: WorkerRole[] } | { type: 'jobs'; completed: number };
export type ParentMessage = { type: 'stop' };

/** `--processes` as given: a whole number from 1 to MAX_PROCESSES, else a UsageError naming the command. */
export function parseProcesses(raw: string | undefined, command: string): number | undefined {
  if (raw === undefined) return undefined;
  const n = /^\d+$/.test(raw.trim()) ? Number(raw) : Number.NaN;
  if (!Number.isInteger(n) || n < 1 || n > MAX_PROCESSES)
    throw new UsageError(
      `${command}: --processes must be a whole number from 1 to ${MAX_PROCESSES}, got ${JSON.stringify(raw)}`,
      command,
    );
  return n;
}

/**
 * How to start this CLI again as a worker: the same node binary and flags (`process.execArgv`), so it
 * runs from source through tsx as it does from dist/. A parent that runs the TypeScript without tsx in
 * its flags (a test runner that compiles on its own) gets tsx's loader and the `source` condition added.
 */
export function workerCommandLine(args: readonly string[]): { command: string; args: string[] } {
  const fromSource = import.meta.url.endsWith('.ts');
  const main = fileURLToPath(new URL(fromSource ? './main.ts' : './main.js', import.meta.url));
  const flags = [...process.execArgv];
  if (fromSource) {
    if (!flags.some((f) => f.includes('tsx'))) flags.push('--import', 'tsx');
    if (!flags.some((f, i) => f === '--conditions=source' || (f === '--conditions' && flags[i + 1] === 'source')))
      flags.push('--conditions=source');
  }
  // An inspector port of the parent would clash in the child.
  const usable = flags.filter((f) => !/^--inspect/.test(f));
  return { command: process.execPath, args: [...usable, main, WORKER_COMMAND, ...args] };
}

/** The environment of a worker process: the parent's, with every setting replaced by its effective value. */
export function workerEnv(config: Config): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const [key, value] of Object.entries(configToEnv(config))) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  // The parent serves the process's health and reports its children there.
  delete env.PAPERBOY_HEALTH_PORT;
  return env;
}

export interface ChildStatus {
  index: number;
  pid: number | undefined;
  roles: WorkerRole[];
  state: 'starting' | 'running' | 'restarting' | 'stopping' | 'stopped' | 'died';
  /** Times it was started again after dying. */
  restarts: number;
  /** Jobs its workers completed (as last reported). */
  jobsCompleted: number;
  /** How its last run ended, when it ended unexpectedly. */
  lastExit?: string;
}

export interface WorkerProcessesOptions {
  config: Config;
  /** Worker processes to run (the command's own process is not counted). */
  count: number;
  roles: WorkerRole[];
  logger: Logger;
  /** Start a child that died again, with backoff (`start`); otherwise report it and go on without it (`ingest`). */
  restart: boolean;
  /** Level of the children's logs (the parent's own). */
  logLevel: string;
  /** Told when a child dies unexpectedly (after the log line). */
  onDeath?: (status: ChildStatus) => void;
  /** First and largest delay before a restart, in ms (default 1000 and 30000). */
  backoffMs?: { first: number; max: number };
}

interface Child {
  status: ChildStatus;
  process: ChildProcess | null;
  exited: Promise<void>;
  startedAt: number;
  /** Deaths in a row, each within a minute of its start: the next restart waits longer. */
  quickDeaths: number;
  timer?: NodeJS.Timeout;
}

/**
 * Runs and supervises the worker processes; a Runnable of the Lifecycle (`run` starts them, `close`
 * asks each to finish what it holds and waits; `close(true)`, at the shutdown deadline, kills them).
 */
export class WorkerProcesses {
  readonly name = 'worker processes';
  private readonly children: Child[] = [];
  private stopping = false;

  constructor(private readonly options: WorkerProcessesOptions) {}

  async run(): Promise<void> {
    for (let index = 1; index <= this.options.count; index++) {
      const child: Child = {
        status: {
          index,
          pid: undefined,
          roles: this.options.roles,
          state: 'starting',
          restarts: 0,
          jobsCompleted: 0,
        },
        process: null,
        exited: Promise.resolve(),
        startedAt: 0,
        quickDeaths: 0,
      };
      this.children.push(child);
      this.spawn(child);
    }
  }

  status(): ChildStatus[] {
    return this.children.map((c) => ({ ...c.status }));
  }

  private spawn(child: Child): void {
    const { config, logger, roles } = this.options;
    const index = child.status.index;
    const args = ['--roles', roles.join(','), '--index', String(index), '--log-level', this.options.logLevel];
    const line = workerCommandLine(args);
    const proc = spawn(line.command, line.args, {
      env: workerEnv(config),
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'json',
    });
    child.process = proc;
    child.startedAt = Date.now();
    child.status.pid = proc.pid;
    child.status.state = 'starting';
    logger.info({ worker: index, workerPid: proc.pid, roles }, 'worker process started');
    // Its logs go through this process's stderr: JSON lines carry the child's name and pid already, other
    // lines (a crash's stack) get a tag.
    for (const stream of [proc.stdout, proc.stderr]) {
      if (!stream) continue;
      createInterface({ input: stream }).on('line', (text) => {
        process.stderr.write(text.startsWith('{') ? `${text}\n` : `[worker ${index} pid ${proc.pid}] ${text}\n`);
      });
    }
    proc.on('message', (message: ChildMessage) => {
      if (message.type === 'ready' && child.status.state === 'starting') child.status.state = 'running';
      if (message.type === 'jobs') child.status.jobsCompleted = message.completed;
    });
    child.exited = new Promise((resolve) => {
      proc.on('error', (error) => {
        logger.error({ err: error, worker: index }, 'worker process error');
        // Not started at all (no pid): there will be no exit event.
        if (proc.pid === undefined) proc.emit('exit', null, null);
      });
      proc.once('exit', (code, signal) => {
        child.process = null;
        const how = signal ? `signal ${signal}` : `exit status ${code}`;
        if (this.stopping) {
          child.status.state = 'stopped';
          logger.info(
            { worker: index, workerPid: proc.pid, jobsCompleted: child.status.jobsCompleted, exit: how },
            'worker process stopped',
          );
        } else this.died(child, how);
        resolve();
      });
    });
  }

  private died(child: Child, how: string): void {
    const { logger, restart } = this.options;
    const { index, pid } = child.status;
    child.status.lastExit = how;
    child.quickDeaths = Date.now() - child.startedAt < 60_000 ? child.quickDeaths + 1 : 1;
    if (!restart) {
      child.status.state = 'died';
      logger.warn(
        { worker: index, workerPid: pid, exit: how },
        'worker process died: going on with the remaining processes (the jobs it held are retried once their lock expires)',
      );
      this.options.onDeath?.({ ...child.status });
      return;
    }
    const backoff = this.options.backoffMs ?? { first: 1000, max: 30_000 };
    const delay = Math.min(backoff.max, backoff.first * 2 ** (child.quickDeaths - 1));
    child.status.state = 'restarting';
    logger.warn({ worker: index, workerPid: pid, exit: how, restartInMs: delay }, 'worker process died: restarting it');
    this.options.onDeath?.({ ...child.status });
    child.timer = setTimeout(() => {
      if (this.stopping) return;
      child.status.restarts++;
      this.spawn(child);
    }, delay);
  }

  /** Asks every child to finish the jobs it holds and stop, and waits; `force` kills them. */
  async close(force = false): Promise<void> {
    this.stopping = true;
    for (const child of this.children) {
      clearTimeout(child.timer);
      const proc = child.process;
      if (!proc) continue;
      const starting = child.status.state === 'starting';
      child.status.state = 'stopping';
      if (force) proc.kill('SIGKILL');
      // Still loading, it holds no job and may not listen for messages yet: a signal stops it either way.
      else if (starting) proc.kill('SIGTERM');
      else if (proc.connected)
        proc.send({ type: 'stop' } satisfies ParentMessage, (error) => error && proc.kill('SIGTERM'));
      else proc.kill('SIGTERM');
    }
    await Promise.all(this.children.map((c) => c.exited));
  }
}
