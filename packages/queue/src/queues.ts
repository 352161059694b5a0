import { createHash } from 'node:crypto';
import { jobLogger, type Logger } from '@paperboy/logger';
import { DelayedError, Job, type Processor, Queue, QueueEvents, QueueKeys, UnrecoverableError, Worker } from 'bullmq';
import { checkedPayload, checkPayloads } from './batch-check.js';
import { createRedis, type RedisClient } from './connection.js';
import { defaultJobOptions, type JobName, type JobPayload, jobQueue, parsePayload, type QueueName } from './jobs.js';
import type { Repeat, Schedule } from './schedules.js';

export interface QueueSettings {
  prefix: string;
  fetchAttempts: number;
}

/** A stable job id from parts: BullMQ ids must not contain ':' and a hash keeps them short. */
export function contentJobId(kind: string, ...parts: Array<string | number>): string {
  return `${kind}-${createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 40)}`;
}

/**
 * Producer side: one Queue per queue name, sharing one connection. Jobs are added, scheduled and
 * looked up by job name: the queue follows from `jobQueue`, the payload is type-checked by the
 * compiler and validated against the job's schema before it reaches Redis, and the options are the
 * job's defaults (`defaultJobOptions`), retention included.
 */
export class Queues {
  private readonly queues = new Map<QueueName, Queue>();

  constructor(
    private readonly connection: RedisClient,
    private readonly settings: QueueSettings,
  ) {}

  /** The BullMQ queue itself, for what works on a whole queue: events, counts, the queue board. */
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
   * next run is not blocked by its last one), or with `deduplicationTtlMs` only for that long after
   * the first add (a burst adds one job; an add once it has started adds another).
   */
  async addBulk<N extends JobName>(
    name: N,
    jobs: Array<{
      data: JobPayload<N>;
      jobId?: string;
      deduplicationId?: string;
      deduplicationTtlMs?: number;
      delayMs?: number;
    }>,
  ): Promise<Job[]> {
    if (jobs.length === 0) return [];
    checkPayloads(
      name,
      jobs.map((job) => job.data),
    );
    const defaults = defaultJobOptions(name, this.settings);
    const bulk = jobs.map((job) => ({
      name,
      data: job.data,
      opts: {
        ...defaults,
        ...(job.jobId ? { jobId: job.jobId } : {}),
        ...(job.deduplicationId
          ? {
              deduplication: {
                id: job.deduplicationId,
                ...(job.deduplicationTtlMs ? { ttl: job.deduplicationTtlMs } : {}),
              },
            }
          : {}),
        ...(job.delayMs ? { delay: job.delayMs } : {}),
      },
    }));
    const queue = this.get(jobQueue[name]);
    // One job: BullMQ's add runs the same script without addBulk's MULTI (measured: about 1.5 ms less CPU).
    if (bulk.length === 1) return [await queue.add(name, bulk[0]!.data, bulk[0]!.opts)];
    return queue.addBulk(bulk);
  }

  async add<N extends JobName>(name: N, data: JobPayload<N>, jobId?: string): Promise<Job> {
    const [job] = await this.addBulk(name, [{ data, ...(jobId ? { jobId } : {}) }]);
    return job!;
  }

  /** A job of `name` by its id, from its job's queue; undefined once it is removed (or never was). */
  async getJob<N extends JobName>(name: N, jobId: string): Promise<Job<JobPayload<N>> | undefined> {
    return this.get(jobQueue[name]).getJob(jobId);
  }

  /**
   * A job of `name` to wait for (`waitUntilFinished`), found by one EXISTS and not read back: its
   * `data` is undefined. Undefined when the queue holds no such job. `getJob` would read the job
   * and parse its payload, for an ingest batch about 85 KB of entries the caller does not need.
   */
  async jobToWaitFor<N extends JobName>(name: N, jobId: string): Promise<Job<JobPayload<N>> | undefined> {
    const queue = this.get(jobQueue[name]);
    // BullMQ types its client loosely; it is an ioredis client, which has EXISTS.
    const client = (await queue.client) as unknown as { exists(key: string): Promise<number> };
    if ((await client.exists(queue.toKey(jobId))) !== 1) return undefined;
    return new Job<JobPayload<N>>(queue, name, undefined as unknown as JobPayload<N>, {}, jobId);
  }

  /**
   * Declares the job scheduler `id`: a job of `name` with `payload` on every `repeat`, on the job's
   * queue with its default options. An upsert: safe on every boot and from several processes at
   * once; a changed repeat or payload replaces the old one.
   */
  async schedule<N extends JobName>(name: N, id: string, repeat: Repeat, payload: JobPayload<N>): Promise<void> {
    parsePayload(name, payload);
    await this.get(jobQueue[name]).upsertJobScheduler(id, repeat, {
      name,
      data: payload,
      opts: defaultJobOptions(name, this.settings),
    });
  }

  /** Declares every schedule (see `schedule`) and returns their ids. */
  async declareSchedules(schedules: readonly Schedule[]): Promise<string[]> {
    for (const s of schedules) await this.schedule<JobName>(s.name, s.id, s.repeat, s.payload);
    return schedules.map((s) => s.id);
  }

  /**
   * The schedules whose scheduler is not in Redis: a ZSCORE per id on its job's queue's scheduler
   * set, sent at once, so checking often costs next to nothing.
   */
  async missingSchedules(schedules: readonly Schedule[]): Promise<Schedule[]> {
    const byQueue = new Map<QueueName, Schedule[]>();
    for (const s of schedules) byQueue.set(jobQueue[s.name], [...(byQueue.get(jobQueue[s.name]) ?? []), s]);
    const missing: Schedule[] = [];
    for (const [name, ofQueue] of byQueue) {
      // On the shared connection, without a Queue: one first made while Redis is away never becomes
      // usable, and this check runs during outages. Sent together: one round trip in practice.
      const key = new QueueKeys(this.settings.prefix).toKey(name, 'repeat');
      const scores = await Promise.all(ofQueue.map((s) => this.connection.zscore(key, s.id)));
      ofQueue.forEach((s, i) => {
        if (scores[i] === null) missing.push(s);
      });
    }
    return missing;
  }

  /**
   * Re-declares the schedules missing from Redis (after a flush, a restart without persistence or a
   * failover to an empty replica) and returns their ids. Those present are left alone: their next
   * run stays as it was. Two processes re-declaring the same one at once is safe (an upsert).
   */
  async redeclareMissingSchedules(schedules: readonly Schedule[]): Promise<string[]> {
    return this.declareSchedules(await this.missingSchedules(schedules));
  }

  /** The ids of the job schedulers that run jobs of `name`. */
  async scheduleIds(name: JobName): Promise<string[]> {
    const schedulers = await this.get(jobQueue[name]).getJobSchedulers(0, -1);
    return schedulers.filter((s) => s.name === name).map((s) => s.key);
  }

  /** Removes the job scheduler `id` of jobs of `name` (its next job too); false if there was none. */
  async unschedule(name: JobName, id: string): Promise<boolean> {
    return this.get(jobQueue[name]).removeJobScheduler(id);
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
  const processor: Processor = async (job, token) => {
    const handler = (handlers as unknown as Record<string, JobHandler<JobName>>)[job.name];
    if (!handler) throw new UnrecoverableError(`no handler for job "${job.name}" on queue "${queue}"`);
    let payload: JobPayload<JobName>;
    try {
      // An ingest batch as the fetcher builds it (its fifty entries are checked one by one by the
      // processor) and a crawl page skip zod: their quick checks pass only what the schemas pass.
      payload = checkedPayload(job.name as JobName, job.data);
    } catch (error) {
      throw new UnrecoverableError((error as Error).message);
    }
    try {
      return await handler(payload, job, token);
    } catch (error) {
      if (error instanceof UnrecoverableError || error instanceof DelayedError || !settings.hold || !token) throw error;
      if (job.attemptsStarted - job.attemptsMade > MAX_HOLDS || !(await settings.hold(error).catch(() => false)))
        throw error;
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
    log[final ? 'error' : 'warn'](
      { attemptsMade: job?.attemptsMade, final, err: error.message },
      final ? 'job failed for good' : 'job attempt failed; will retry',
    );
  });
  worker.on('error', (error) => logger.error({ queue: worker.name, err: error.message }, 'worker error'));
  return worker;
}
