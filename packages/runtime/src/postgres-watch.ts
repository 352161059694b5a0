import { createPostgresProbe, isConnectionLost, type PostgresProbe } from '@paperboy/db';
import type { Logger } from '@paperboy/logger';
import type { Lifecycle } from './index.js';

export interface PostgresWatchOptions {
  databaseUrl: string;
  logger: Logger;
  lifecycle: Lifecycle;
  /** How often Postgres is asked `SELECT 1`. Default 2000 ms. */
  intervalMs?: number;
  /** How long one probe may take. Default 2000 ms. */
  timeoutMs?: number;
}

/**
 * Rides out a Postgres outage (a restart, a failover): probes it every few seconds, pauses the
 * process's workers while it does not answer (so queued jobs wait instead of spending their
 * attempts on it) and resumes them when it answers again. `shouldHold` tells a worker that a job
 * failed because of the outage, so the job is put back without spending an attempt.
 */
export class PostgresWatch {
  private readonly probe: PostgresProbe;
  private readonly intervalMs: number;
  private readonly timeoutMs: number;
  private timer: NodeJS.Timeout | null = null;
  private down = false;
  private checking: Promise<boolean> | null = null;
  private closed = false;

  constructor(private readonly options: PostgresWatchOptions) {
    this.probe = createPostgresProbe(options.databaseUrl);
    this.intervalMs = options.intervalMs ?? 2000;
    this.timeoutMs = options.timeoutMs ?? 2000;
  }

  start(): this {
    if (this.timer || this.closed) return this;
    this.timer = setInterval(() => void this.check(), this.intervalMs);
    // The watch alone never keeps a process alive.
    this.timer.unref();
    return this;
  }

  /** Whether Postgres answered the last probe. */
  get reachable(): boolean {
    return !this.down;
  }

  /** Probes now (one probe at a time); pauses or resumes the workers on a change. */
  check(): Promise<boolean> {
    this.checking ??= this.probe
      .check(this.timeoutMs)
      .then(
        () => {
          if (this.down) {
            this.down = false;
            this.options.logger.info('Postgres answers again');
            this.options.lifecycle.resumeWorkers();
          }
          return true;
        },
        (error: unknown) => {
          if (!this.down && !this.closed) {
            this.down = true;
            this.options.logger.warn({ err: (error as Error).message }, 'Postgres does not answer');
            void this.options.lifecycle.pauseWorkers('Postgres does not answer');
          }
          return false;
        },
      )
      .finally(() => {
        this.checking = null;
      });
    return this.checking;
  }

  /**
   * Whether a job that failed with `error` failed because Postgres is away: it is known to be
   * down, or the error says a connection was lost and a probe now confirms it (an SMTP or HTTP
   * connection refused while Postgres answers fails the job as usual).
   */
  readonly shouldHold = async (error: unknown): Promise<boolean> => {
    if (this.closed) return false;
    if (this.down) return true;
    return isConnectionLost(error) && !(await this.check());
  };

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.checking?.catch(() => {});
    await this.probe.close();
  }
}
