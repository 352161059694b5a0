import type { Queues, Schedule } from '@paperboy/queue';
import type { SourcesFile } from '@paperboy/sources-file';

const SOURCE_PREFIX = 'source-';
export const PRUNE_SCHEDULER = 'prune-archive-daily';
export const RECONCILE_SCHEDULER = 'reconcile-crawls';

/** The fetcher's schedules: one per enabled source, the daily archive pruning and the reconciliation of stranded batches. */
export function sourceSchedules(sources: SourcesFile): Schedule[] {
  const perSource = sources.sources
    .filter((s) => s.enabled)
    .map(
      (source): Schedule => ({
        name: 'crawl-source',
        id: `${SOURCE_PREFIX}${source.id}`,
        repeat: source.schedule.cron
          ? { pattern: source.schedule.cron, ...(source.schedule.tz ? { tz: source.schedule.tz } : {}) }
          : { every: source.schedule.every! },
        payload: { source: source.id },
      }),
    );
  const prune: Schedule = {
    name: 'prune-archive',
    id: PRUNE_SCHEDULER,
    repeat: { pattern: '17 3 * * *' },
    payload: {},
  };
  // Batches enqueued but never stored (a lost Redis) are put back from the archive.
  const reconcile: Schedule = {
    name: 'reconcile-crawls',
    id: RECONCILE_SCHEDULER,
    repeat: { every: 5 * 60_000 },
    payload: {},
  };
  return [...perSource, prune, reconcile];
}

/**
 * One BullMQ job scheduler per enabled source, and none for removed or disabled ones. Upserts,
 * so it is safe on every boot and from several processes at once. (Later, `keepSchedules`
 * re-declares any that Redis loses.)
 */
export async function syncSchedulers(
  queues: Queues,
  sources: SourcesFile,
): Promise<{ upserted: string[]; removed: string[] }> {
  const declared = await queues.declareSchedules(sourceSchedules(sources));
  const keep = new Set(declared.filter((id) => id.startsWith(SOURCE_PREFIX)));
  const removed: string[] = [];
  for (const id of await queues.scheduleIds('crawl-source')) {
    if (!keep.has(id)) {
      await queues.unschedule('crawl-source', id);
      removed.push(id);
    }
  }
  return { upserted: [...keep], removed };
}
