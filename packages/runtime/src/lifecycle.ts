import type { Logger } from '@paperboy/logger';

/** Something a worker-like service runs until asked to stop (a BullMQ Worker fits). */
export interface Runnable {
  name: string;
  run(): Promise<unknown>;
  close(force?: boolean): Promise<void>;
  /** Stops taking new jobs; `doNotWaitActive` leaves the jobs in hand running (a BullMQ Worker fits). */
  pause?(doNotWaitActive?: boolean): Promise<void>;
  resume?(): void;
}

interface Resource {
  name: string;
  close(): Promise<unknown>;
}

const sleep = (ms: number) => new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), ms).unref());

/**
 * Start, signals, and an ordered shutdown with a deadline: workers first (they finish their
 * active jobs, or are forced at the deadline and their jobs go back to the queue as stalled),
 * then queues and producers, then the database and Redis. A second signal exits at once.
 */
export class Lifecycle {
  private readonly workers: Runnable[] = [];
  private readonly resources: Resource[] = [];
  private stopping: Promise<void> | null = null;
  private signalsInstalled = false;
  private started = false;
  /** Why the workers are paused (a dependency is down), or null. */
  private pausedFor: string | null = null;

  constructor(
    private readonly logger: Logger,
    private readonly deadlineMs: number,
  ) {}

  /** The workers added so far (a worker process counts the jobs they complete). */
  get runnables(): readonly Runnable[] {
    return this.workers;
  }

  addWorker(worker: Runnable): this {
    this.workers.push(worker);
    return this;
  }

  /** Closed after the workers, in the order added: add queues before the connections they use. */
  addResource(name: string, close: () => Promise<unknown>): this {
    this.resources.push({ name, close });
    return this;
  }

  private readonly startHooks: Array<() => void> = [];

  /** Runs `hook` when the workers start (watchers that only a process with workers needs). */
  onStart(hook: () => void): this {
    if (this.started) hook();
    else this.startHooks.push(hook);
    return this;
  }

  start(): void {
    this.started = true;
    for (const hook of this.startHooks.splice(0)) hook();
    for (const worker of this.workers) {
      worker
        .run()
        .catch((error: Error) =>
          this.logger.error({ err: error, worker: worker.name }, 'worker stopped with an error'),
        );
    }
  }

  /**
   * Holds every worker off new jobs while a dependency is down (the jobs in hand run on and fail
   * or finish); `resumeWorkers` lets them go on. No-op before `start` and once stopping.
   */
  async pauseWorkers(reason: string): Promise<void> {
    if (!this.started || this.stopping || this.workersStopping || this.pausedFor) return;
    this.pausedFor = reason;
    this.logger.warn({ reason }, 'pausing workers until it recovers');
    await Promise.all(this.workers.map((worker) => worker.pause?.(true).catch(() => {})));
  }

  resumeWorkers(): void {
    if (!this.pausedFor) return;
    const reason = this.pausedFor;
    this.pausedFor = null;
    if (this.stopping || this.workersStopping) return;
    this.logger.info({ reason }, 'resuming workers: recovered');
    for (const worker of this.workers) worker.resume?.();
  }

  /** Why the workers are paused, or null when they run. */
  get pausedReason(): string | null {
    return this.pausedFor;
  }

  installSignalHandlers(onStopped: (code: number) => void = (code) => process.exit(code)): void {
    if (this.signalsInstalled) return;
    this.signalsInstalled = true;
    const handle = (signal: NodeJS.Signals) => {
      if (this.stopping) {
        this.logger.warn({ signal }, 'second signal: exiting now');
        onStopped(130);
        return;
      }
      this.logger.info({ signal, deadlineMs: this.deadlineMs }, 'shutting down');
      this.shutdown().then(
        () => onStopped(0),
        (error: Error) => {
          this.logger.error({ err: error }, 'shutdown failed');
          onStopped(1);
        },
      );
    };
    process.on('SIGINT', handle);
    process.on('SIGTERM', handle);
    // A wrapper that dies without passing its signal on (pnpm does this with SIGTERM) leaves us
    // orphaned: treat the parent's exit as a request to stop, rather than run on unsupervised.
    const parent = process.ppid;
    setInterval(() => {
      if (process.ppid !== parent && !this.stopping) {
        this.logger.warn({ parent }, 'parent process exited');
        handle('SIGTERM');
      }
    }, 500).unref();
  }

  shutdown(): Promise<void> {
    this.stopping ??= this.runShutdown();
    return this.stopping;
  }

  private workersStopping: Promise<void> | null = null;

  /** The first half of a shutdown: workers finish their active jobs (forced at the deadline). */
  stopWorkers(): Promise<void> {
    this.workersStopping ??= this.closeWorkers(Date.now() + this.deadlineMs);
    return this.workersStopping;
  }

  private async runShutdown(): Promise<void> {
    const deadline = Date.now() + this.deadlineMs;
    await this.stopWorkers();
    for (const resource of this.resources) {
      const remaining = Math.max(500, deadline - Date.now());
      const outcome = await Promise.race([
        resource.close().then(
          () => 'closed' as const,
          () => 'closed' as const,
        ),
        sleep(remaining),
      ]);
      if (outcome === 'timeout') this.logger.warn({ resource: resource.name }, 'did not close before the deadline');
    }
    this.logger.info('stopped');
  }

  private async closeWorkers(deadline: number): Promise<void> {
    await Promise.all(
      this.workers.map(async (worker) => {
        const outcome = await Promise.race([
          worker.close().then(() => 'closed' as const),
          sleep(Math.max(0, deadline - Date.now())),
        ]);
        if (outcome === 'timeout') {
          this.logger.warn(
            { worker: worker.name },
            'worker did not finish its jobs before the deadline: forcing it (its jobs will be retried)',
          );
          // A forced close still waits for the jobs in hand to let go of their locks (so a run can
          // remove them after); a send blocked on a silent server then ends at the transport's socket
          // timeout, and its delivery stays claimed (the send-digest handler), never sent twice.
          await worker.close(true).catch(() => {});
        }
      }),
    );
  }
}
