import type { Config } from '@paperboy/config';
import type { Db } from '@paperboy/db';
import type { Logger } from '@paperboy/logger';
import type { Metrics } from '@paperboy/metrics';
import type { RedisClient } from '@paperboy/queue';
import type { Lifecycle } from './lifecycle.js';

/**
 * What the runtime's helpers (`serveHealth`, `readinessChecks`, `keepSchedules`,
 * `warnIfDatabaseNotReady`) need of a running process: its configuration, logger, connections and
 * lifecycle. Structural, so the runtime does not depend on who builds them: `AppContext` of
 * @paperboy/app is one.
 */
export interface ProcessContext {
  config: Config;
  logger: Logger;
  db: Db;
  /** For producers: fails a command rather than hanging (readiness pings and schedule checks use it). */
  producerRedis: RedisClient;
  lifecycle: Lifecycle;
  /** Prometheus metrics of this process (served by `serveHealth`). */
  metrics: Metrics;
}
