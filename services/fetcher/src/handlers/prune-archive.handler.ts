import { ArchiveRepository, type Db } from '@paperboy/db';
import { jobLogger, type Logger } from '@paperboy/logger';
import type { Job } from '@paperboy/queue';

/** prune-archive: deletes archived bodies no fetch has seen for the retention period. */
export function createPruneArchiveHandler(deps: { db: Db; logger: Logger; retentionDays: number; now?: () => Date }) {
  const archive = new ArchiveRepository(deps.db);
  return async (_payload: Record<string, never>, job: Job) => {
    const before = new Date((deps.now?.() ?? new Date()).getTime() - deps.retentionDays * 86_400_000);
    const deleted = await archive.pruneBodies(before);
    jobLogger(deps.logger, job).info({ deleted, before: before.toISOString() }, 'archive pruned');
    return { deleted };
  };
}
