import type { Queue } from '@paperboy/queue';
import type { SourcesFile } from './sources-file.js';

const SOURCE_PREFIX = 'source-';
export const PRUNE_SCHEDULER = 'prune-archive-daily';
export const RECONCILE_SCHEDULER = 'reconcile-crawls';

/**
 * One BullMQ job scheduler per enabled source, and none for removed or disabled ones. Upserts,
 * so it is safe on every boot and from several processes at once.
 */
export async function syncSchedulers(queue: Queue, sources: SourcesFile): Promise<{ upserted: string[]; removed: string[] }> {
  const wanted = sources.sources.filter((s) => s.enabled);
  for (const source of wanted) {
    const repeat = source.schedule.cron
      ? { pattern: source.schedule.cron, ...(source.schedule.tz ? { tz: source.schedule.tz } : {}) }
      : { every: source.schedule.every! };
    await queue.upsertJobScheduler(`${SOURCE_PREFIX}${source.id}`, repeat, {
      name: 'crawl-source',
      data: { source: source.id },
      opts: { attempts: 3, backoff: { type: 'exponential', delay: 5000 }, removeOnComplete: { count: 1000 }, removeOnFail: { count: 1000 } },
    });
  }
  await queue.upsertJobScheduler(PRUNE_SCHEDULER, { pattern: '17 3 * * *' }, {
    name: 'prune-archive',
    data: {},
    opts: { attempts: 3, removeOnComplete: { count: 30 }, removeOnFail: { count: 30 } },
  });
  // Batches enqueued but never stored (a lost Redis) are put back from the archive.
  await queue.upsertJobScheduler(RECONCILE_SCHEDULER, { every: 5 * 60_000 }, {
    name: 'reconcile-crawls',
    data: {},
    opts: { attempts: 3, backoff: { type: 'exponential', delay: 5000 }, removeOnComplete: { count: 100 }, removeOnFail: { count: 100 } },
  });
  const keep = new Set(wanted.map((s) => `${SOURCE_PREFIX}${s.id}`));
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
