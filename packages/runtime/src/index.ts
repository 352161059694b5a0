// @paperboy/runtime runs a process: its lifecycle (start, signals, ordered shutdown with a deadline),
// its health server, its watch on Postgres and its schedule keeper. It builds no connections: it is
// handed them (a `ProcessContext`; @paperboy/app builds one from the configuration).

/** What the helpers below need of a running process. */
export type { ProcessContext } from './context.js';
/** The /healthz, /readyz and /metrics server, and the readiness checks of a process's connections. */
export {
  type CheckName,
  checkReadiness,
  type HealthServer,
  type HealthServerOptions,
  type Readiness,
  type ReadinessChecks,
  readinessChecks,
  startHealthServer,
} from './health.js';
/** Start, signals and an ordered shutdown with a deadline; `Runnable` is what it runs (a BullMQ Worker fits). */
export { Lifecycle, type Runnable } from './lifecycle.js';
/** Pauses the workers while Postgres does not answer; tells a worker which failures to hold. */
export { PostgresWatch, type PostgresWatchOptions } from './postgres-watch.js';
/** Process start-up: the health server, a warning when the database is not ready, one-line start failures. */
export { listenError, runService, serveHealth, warnIfDatabaseNotReady } from './process.js';

/** Re-declares job schedules that Redis lost, for the life of the process. */
export { keepSchedules, ScheduleKeeper } from './schedules.js';
