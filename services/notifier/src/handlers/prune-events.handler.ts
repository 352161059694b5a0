import { type Db, EventRepository } from '@paperboy/db';
import { jobLogger, type Logger } from '@paperboy/logger';
import type { Job } from '@paperboy/queue';

const CHUNK = 10_000;

/**
 * prune-events (scheduled hourly): deletes the events older than PAPERBOY_EVENT_RETENTION_DAYS, in
 * chunks so no statement holds many locks or runs long. An endpoint whose position is older than
 * what is left simply continues with the oldest event kept.
 */
export function createPruneEventsHandler(deps: { db: Db; logger: Logger; retentionDays: number; now?: () => Date }) {
  const events = new EventRepository(deps.db);
  return async (_payload: unknown, job: Job): Promise<{ pruned: number }> => {
    const before = new Date((deps.now?.() ?? new Date()).getTime() - deps.retentionDays * 86_400_000);
    let pruned = 0;
    for (;;) {
      const deleted = await events.prune(before, CHUNK);
      pruned += deleted;
      if (deleted < CHUNK) break;
    }
    if (pruned > 0) jobLogger(deps.logger, job).info({ pruned, before }, 'events past their retention pruned');
    return { pruned };
  };
}
