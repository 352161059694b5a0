import { type Kysely, sql } from 'kysely';
import type { Database } from '../schema.js';
import { closeCrawlColumns } from './crawl.repository.js';

/**
 * Closes as failed ("interrupted") the crawls still `running` that began more than `olderThanMs`
 * ago: their process died (SIGKILL, a crash, a lost host) before recording an outcome, and a
 * crawl left `running` would never show in source health. A crawl whose job is in fact retried
 * later records its own outcome over this one. Returns how many were closed.
 */
export async function closeInterruptedCrawls(db: Kysely<Database>, olderThanMs: number): Promise<number> {
  const result = await db
    .updateTable('crawls')
    .set(
      closeCrawlColumns('failed', 'interrupted: the process running this crawl stopped before recording its outcome'),
    )
    .where('outcome', '=', 'running')
    // Raw: interval arithmetic (now less a number of seconds).
    .where('started_at', '<', sql<Date>`now() - make_interval(secs => ${olderThanMs / 1000})`)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}
