import type { Config } from '@paperboy/config';
import type { Logger } from '@paperboy/logger';
import type { Queues, RedisClient, Schedule } from '@paperboy/queue';
import type { Lifecycle, Runnable } from './index.js';

const RETRY_MS = 5000;

/**
 * Keeps a process's job schedulers in Redis. Redis restarted without persistence, flushed, or
 * failed over to an empty replica loses them, and nothing else would ever declare them again:
 * sources would no longer be crawled, digests no longer planned. So the process checks that each
 * is there, whenever its Redis connection comes back and every `intervalMs` (every few seconds
 * while Redis cannot be reached), and re-declares the missing ones (an upsert, safe from several processes at once). Those present are left alone.
 */
export class ScheduleKeeper implements Runnable {
  readonly name = 'schedule checks';
  private timer: NodeJS.Timeout | null = null;
  private retry: NodeJS.Timeout | null = null;
  private checking: Promise<string[]> | null = null;
  private again = false;
  private failing = false;
  private stopped: (() => void) | null = null;
  private readonly onReady = () => void this.check();

  constructor(
    private readonly schedules: readonly Schedule[],
    /** `redis`: the connection `queues` use, watched for reconnects. */
    private readonly deps: { logger: Logger; queues: Queues; redis: RedisClient; intervalMs: number },
  ) {}

  /** Starts the periodic and on-reconnect checks; resolves once closed. */
  run(): Promise<void> {
    if (this.timer) throw new Error('schedule checks already running');
    this.timer = setInterval(() => void this.check(), this.deps.intervalMs);
    this.timer.unref();
    // 'ready' is emitted on every (re)connection once the server has loaded its data.
    this.deps.redis.on('ready', this.onReady);
    return new Promise((resolve) => (this.stopped = resolve));
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.retry) clearTimeout(this.retry);
    this.timer = this.retry = null;
    this.deps.redis.off('ready', this.onReady);
    await this.checking;
    this.stopped?.();
  }

  /**
   * One check: the ids it re-declared. A check asked for while one runs (a reconnect during a
   * periodic check) runs again after it, so no reconnect goes unchecked.
   */
  check(): Promise<string[]> {
    if (this.checking) {
      this.again = true;
      return this.checking;
    }
    this.checking = this.redeclare().finally(() => {
      this.checking = null;
      if (this.again && this.timer) {
        this.again = false;
        void this.check();
      }
    });
    return this.checking;
  }

  private async redeclare(): Promise<string[]> {
    const { logger } = this.deps;
    try {
      const ids = await this.deps.queues.redeclareMissingSchedules(this.schedules);
      if (ids.length) logger.warn({ schedules: ids }, `${ids.length} schedules were missing from Redis: re-declared`);
      if (this.failing) logger.info('job schedules checked again');
      this.failing = false;
      return ids;
    } catch (error) {
      // Redis unreachable: said once per outage; the reconnect triggers the next check.
      if (!this.failing)
        logger.warn(
          { err: error },
          'cannot check the job schedules in Redis: checked again every few seconds until it can',
        );
      else logger.debug({ err: error }, 'cannot check the job schedules in Redis');
      this.failing = true;
      // A check that fails around a reconnect must not wait for the next interval: retry soon.
      if (this.timer && !this.retry) {
        this.retry = setTimeout(
          () => {
            this.retry = null;
            void this.check();
          },
          Math.min(this.deps.intervalMs, RETRY_MS),
        );
        this.retry.unref();
      }
      return [];
    }
  }
}

/**
 * Keeps `schedules` (already declared on boot) in Redis for the life of the process: checked every
 * PAPERBOY_SCHEDULE_CHECK_SECONDS and on each reconnect, from `ctx.lifecycle.start()` until its
 * shutdown. Nothing when PAPERBOY_SCHEDULES=0. Call it once per process, with all its schedules.
 */
export function keepSchedules(
  ctx: {
    config: Pick<Config, 'schedules' | 'scheduleCheckSeconds'>;
    logger: Logger;
    queues: Queues;
    producerRedis: RedisClient;
    lifecycle: Pick<Lifecycle, 'addWorker'>;
  },
  schedules: readonly Schedule[],
): ScheduleKeeper | null {
  if (!ctx.config.schedules || schedules.length === 0) return null;
  const keeper = new ScheduleKeeper(schedules, {
    logger: ctx.logger,
    queues: ctx.queues,
    redis: ctx.producerRedis,
    intervalMs: ctx.config.scheduleCheckSeconds * 1000,
  });
  ctx.lifecycle.addWorker(keeper);
  return keeper;
}
