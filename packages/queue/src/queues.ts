import { createHash } from 'node:crypto';
import { DelayedError, Queue, QueueEvents, Worker, UnrecoverableError, type Job, type Processor } from 'bullmq';
import { jobLogger, type Logger } from '@paperboy/logger';
import { createRedis, type RedisClient } from './connection.js';
import { defaultJobOptions, jobQueue, parsePayload, type JobName, type JobPayload, type QueueName } from './jobs.js';

export interface QueueSettings {
  prefix: string;
  fetchAttempts: number;
}

/** A stable job id from parts: BullMQ ids must not contain ':' and a hash keeps them short. */
export function contentJobId(kind: string, ...parts: Array<string | number>): string {
  return `${kind}-${createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 40)}`;
}

/** Producer side: one Queue per queue name, sharing one connection. */
export class Queues {
  private readonly queues = new Map<QueueName, Queue>();

  constructor(
    private readonly connection: RedisClient,
    private readonly settings: QueueSettings,
  ) {}

  get(name: QueueName): Queue {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue(name, { connection: this.connection, prefix: this.settings.prefix });
      queue.on('error', () => {});
      // Every job awaited with waitUntilFinished adds a listener; thousands at once are expected.
      queue.setMaxListeners(0);
      this.queues.set(name, queue);
    }
    return queue;
  }

  /**
   * Adds jobs of one name in one round trip. A `jobId` that exists makes its add a no-op for as
   * long as the job is kept; a `deduplicationId` only while the job has not finished (a source's
   * next run is not blocked by its last one).
   */
  async addBulk<N extends JobName>(
    name: N,
    jobs: Array<{ data: JobPayload<N>; jobId?: string; deduplicationId?: string; delayMs?: number }>,
  ): Promise<Job[]> {
    if (jobs.length === 0) return [];
    const defaults = defaultJobOptions(name, this.settings);
    return this.get(jobQueue[name]).addBulk(
      jobs.map((job) => ({
        name,
        data: job.data,
        opts: {
          ...defaults,
          ...(job.jobId ? { jobId: job.jobId } : {}),
          ...(job.deduplicationId ? { deduplication: { id: job.deduplicationId } } : {}),
          ...(job.delayMs ? { delay: job.delayMs } : {}),
        },
      })),
    );
  }

  async add<N extends JobName>(name: N, data: JobPayload<N>, jobId?: string): Promise<Job> {
    const [job] = await this.addBulk(name, [{ data, ...(jobId ? { jobId } : {}) }]);
    return job!;
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close()));
    this.queues.clear();
  }
}

/** Return means done, throw means retry (UnrecoverableError: fail now). `token` is for job.moveToDelayed. */
export type JobHandler<N extends JobName> = (payload: JobPayload<N>, job: Job, token?: string) => Promise<unknown>;
export type HandlerMap<Q extends QueueName> = {
  [N in JobName as (typeof jobQueue)[N] extends Q ? N : never]: JobHandler<N>;
};

/** Job names routed to a queue. */
export function jobsOfQueue(queue: QueueName): JobName[] {
  return (Object.keys(jobQueue) as JobName[]).filter((name) => jobQueue[name] === queue);
}

/**
 * Refuses to start a worker unless every job routed to its queue has exactly one handler
 * and no handler is for a job routed elsewhere.
 */
export function checkHandlers(queue: QueueName, handlers: Record<string, unknown>): void {
  const expected = jobsOfQueue(queue);
  const missing = expected.filter((name) => typeof handlers[name] !== 'function');
  const stray = Object.keys(handlers).filter((name) => !expected.includes(name as JobName));
  if (missing.length || stray.length) {
    throw new Error(
      `worker for queue "${queue}": ${missing.length ? `no handler for ${missing.join(', ')}` : ''}${
        missing.length && stray.length ? '; ' : ''
      }${stray.length ? `handlers for jobs not on this queue: ${stray.join(', ')}` : ''}`,
    );
  }
}

export interface WorkerSettings {
  prefix: string;
  concurrency: number;
  connection: RedisClient;
  /** A job whose worker died goes back to the queue after about this long. */
  lockDurationMs?: number;
  /** At most `max` jobs per `duration` ms on this queue, across every worker (BullMQ's rate limiter). */
  limiter?: { max: number; duration: number };
  /**
   * Handlers for jobs that used to be routed to this queue and now go elsewhere: jobs (and job
   * schedulers) that older code left on this queue are still run, not failed for want of a handler.
   */
  moved?: { [N in JobName]?: JobHandler<N> };
  /**
   * Says whether a failure is a dependency's outage (Postgres away) rather than the job's: such a
   * job is put back, delayed by `holdDelayMs` (default 5000), without spending an attempt.
   */
  hold?: (error: unknown) => Promise<boolean>;
  holdDelayMs?: number;
}

/** Outage holds one job may take in a row before its failures count again (a job that itself breaks the connection). */
const MAX_HOLDS = 20;

/**
 * A worker whose handlers receive a validated payload. A payload that fails validation is a
 * permanent failure (retrying cannot fix it); anything else a handler throws is retried.
 */
export function createWorker<Q extends QueueName>(queue: Q, handlers: HandlerMap<Q>, settings: WorkerSettings): Worker {
  checkHandlers(queue, handlers as Record<string, unknown>);
  const notMoved = Object.keys(settings.moved ?? {}).filter((name) => jobQueue[name as JobName] === queue);
  if (notMoved.length) throw new Error(`worker for queue "${queue}": ${notMoved.join(', ')} still routed here, not moved`);
  const processor: Processor = async (job, token) => {
    const handler =
      (handlers as unknown as Record<string, JobHandler<JobName>>)[job.name] ??
      (settings.moved as Record<string, JobHandler<JobName>> | undefined)?.[job.name];
    if (!handler) throw new UnrecoverableError(`no handler for job "${job.name}" on queue "${queue}"`);
    let payload: JobPayload<JobName>;
    try {
      payload = parsePayload(job.name as JobName, job.data);
    } catch (error) {
      throw new UnrecoverableError(`invalid payload for ${job.name}: ${(error as Error).message}`);
    }
    try {
      return await handler(payload, job, token);
    } catch (error) {
      if (error instanceof UnrecoverableError || error instanceof DelayedError || !settings.hold || !token) throw error;
      if (job.attemptsStarted - job.attemptsMade > MAX_HOLDS || !(await settings.hold(error).catch(() => false))) throw error;
      try {
        await job.moveToDelayed(Date.now() + (settings.holdDelayMs ?? 5000), token);
      } catch {
        throw error; // Redis is away too: fail (or stall) the job as usual.
      }
      throw new DelayedError();
    }
  };
  const worker = new Worker(queue, processor, {
    connection: settings.connection,
    prefix: settings.prefix,
    concurrency: settings.concurrency,
    autorun: false,
    // A job whose worker died is handed to another after this long without a lock renewal.
    lockDuration: settings.lockDurationMs ?? 30_000,
    stalledInterval: settings.lockDurationMs ?? 30_000,
    maxStalledCount: 3,
    ...(settings.limiter ? { limiter: settings.limiter } : {}),
  });
  return worker;
}

/** Queue events on a connection of their own (they block on Redis), closed with them. */
export function createQueueEvents(queue: QueueName, settings: { prefix: string; redisUrl: string }): QueueEvents {
  const connection = createRedis(settings.redisUrl, 'worker');
  const events = new QueueEvents(queue, { connection, prefix: settings.prefix });
  events.on('error', () => {});
  events.setMaxListeners(0);
  const close = events.close.bind(events);
  events.close = async () => {
    await close();
    connection.disconnect();
  };
  return events;
}

/**
 * Logs a worker's failed attempts through the job's logger (queue, job id, job name and source
 * on every line; `final` when no attempt is left) and its own errors (lost Redis connection…):
 * a BullMQ worker without an 'error' listener may stop processing.
 */
export function logWorkerEvents(worker: Worker, logger: Logger): Worker {
  worker.on('failed', (job, error) => {
    const log = job ? jobLogger(logger, job) : logger.child({ queue: worker.name });
    const final = !job || job.attemptsMade >= (job.opts.attempts ?? 1) || error instanceof UnrecoverableError;
    log[final ? 'error' : 'warn']({ attemptsMade: job?.attemptsMade, final, err: error.message }, final ? 'job failed for good' : 'job attempt failed; will retry');
  });
  worker.on('error', (error) => logger.error({ queue: worker.name, err: error.message }, 'worker error'));
  return worker;
}
