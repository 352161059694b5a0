import { declareSchedules, type Queue, type Schedule } from '@paperboy/queue';
import type { SourcesFile } from '@paperboy/sources-file';

const SOURCE_PREFIX = 'source-';
export const PRUNE_SCHEDULER = 'prune-archive-daily';
export const RECONCILE_SCHEDULER = 'reconcile-crawls';

/** The fetcher's schedules: one per enabled source, the daily archive pruning and the reconciliation of stranded batches. */
export function sourceSchedules(queue: Queue, sources: SourcesFile): Schedule[] {
  const perSource = sources.sources
    .filter((s) => s.enabled)
    .map((source): Schedule => ({
      queue,
      id: `${SOURCE_PREFIX}${source.id}`,
      repeat: source.schedule.cron
        ? { pattern: source.schedule.cron, ...(source.schedule.tz ? { tz: source.schedule.tz } : {}) }
        : { every: source.schedule.every! },
      job: {
        name: 'crawl-source',
        data: { source: source.id },
        opts: { attempts: 3, backoff: { type: 'exponential', delay: 5000 }, removeOnComplete: { count: 1000 }, removeOnFail: { count: 1000 } },
      },
    }));
  const prune: Schedule = {
    queue,
    id: PRUNE_SCHEDULER,
    repeat: { pattern: '17 3 * * *' },
    job: { name: 'prune-archive', data: {}, opts: { attempts: 3, removeOnComplete: { count: 30 }, removeOnFail: { count: 30 } } },
  };
  // Batches enqueued but never stored (a lost Redis) are put back from the archive.
  const reconcile: Schedule = {
    queue,
    id: RECONCILE_SCHEDULER,
    repeat: { every: 5 * 60_000 },
    job: { name: 'reconcile-crawls', data: {}, opts: { attempts: 3, backoff: { type: 'exponential', delay: 5000 }, removeOnComplete: { count: 100 }, removeOnFail: { count: 100 } } },
  };
  return [...perSource, prune, reconcile];
}

/**
 * One BullMQ job scheduler per enabled source, and none for removed or disabled ones. Upserts,
 * so it is safe on every boot and from several processes at once. (Later, `keepSchedules`
 * re-declares any that Redis loses.)
 */
export async function syncSchedulers(queue: Queue, sources: SourcesFile): Promise<{ upserted: string[]; removed: string[] }> {
  const declared = await declareSchedules(sourceSchedules(queue, sources));
  const keep = new Set(declared.filter((id) => id.startsWith(SOURCE_PREFIX)));
  const removed: string[] = [];
  for (const scheduler of await queue.getJobSchedulers(0, -1)) {
    const id = scheduler.key;
    if (id.startsWith(SOURCE_PREFIX) && !keep.has(id)) {
      await queue.removeJobScheduler(id);
      removed.push(id);
    }
  }
  return { upserted: [...keep], removed };
}
