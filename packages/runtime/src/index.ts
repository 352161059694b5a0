import type { Logger } from '@paperboy/logger';

/** Something a worker-like service runs until asked to stop (a BullMQ Worker fits). */
export interface Runnable {
  name: string;
  run(): Promise<unknown>;
  close(force?: boolean): Promise<void>;
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

  constructor(
    private readonly logger: Logger,
    private readonly deadlineMs: number,
  ) {}

  addWorker(worker: Runnable): this {
    this.workers.push(worker);
    return this;
  }

  /** Closed after the workers, in the order added: add queues before the connections they use. */
  addResource(name: string, close: () => Promise<unknown>): this {
    this.resources.push({ name, close });
    return this;
  }

  start(): void {
    for (const worker of this.workers) {
      worker.run().catch((error: Error) => this.logger.error({ err: error, worker: worker.name }, 'worker stopped with an error'));
    }
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
      const outcome = await Promise.race([resource.close().then(() => 'closed' as const, () => 'closed' as const), sleep(remaining)]);
      if (outcome === 'timeout') this.logger.warn({ resource: resource.name }, 'did not close before the deadline');
    }
    this.logger.info('stopped');
  }

  private async closeWorkers(deadline: number): Promise<void> {
    await Promise.all(
      this.workers.map(async (worker) => {
        const outcome = await Promise.race([worker.close().then(() => 'closed' as const), sleep(Math.max(0, deadline - Date.now()))]);
        if (outcome === 'timeout') {
          this.logger.warn({ worker: worker.name }, 'worker did not finish its jobs before the deadline: forcing it (its jobs will be retried)');
          await worker.close(true).catch(() => {});
        }
      }),
    );
  }
}
