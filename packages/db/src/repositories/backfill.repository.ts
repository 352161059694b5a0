import { sql, type Kysely } from 'kysely';
import type { Database } from '../schema.js';

/**
 * Progress of backfills, so a crashed or failed one resumes where it stopped. `next_date` is the
 * first day of the range not done (every day before it had all its pages fetched and stored);
 * `finished_at` is set once it is past `to_date`. `pages_failed` counts the failed pages since the
 * range was last complete (reset to 0 when it completes).
 */
export class BackfillRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /**
   * The range's progress row: created by the first run, returned as it stands to every later run.
   * A row that an older version marked finished although pages had failed (it advanced past failed
   * days) does not say which days failed: the whole range is done again.
   */
  async startOrResume(source: string, from: string, to: string): Promise<{ id: number; nextDate: string; pagesDone: number; pagesFailed: number }> {
    const { rows } = await sql<{ id: number; nextDate: string; pagesDone: number; pagesFailed: number }>`
      INSERT INTO backfills (source, from_date, to_date, next_date) VALUES (${source}, ${from}, ${to}, ${from})
      ON CONFLICT ON CONSTRAINT backfills_range DO UPDATE SET updated_at = now(),
        next_date = CASE WHEN backfills.finished_at IS NOT NULL AND backfills.pages_failed > 0 THEN backfills.from_date ELSE backfills.next_date END,
        finished_at = CASE WHEN backfills.pages_failed > 0 THEN NULL ELSE backfills.finished_at END
      RETURNING id, to_char(next_date, 'YYYY-MM-DD') AS "nextDate", pages_done AS "pagesDone", pages_failed AS "pagesFailed"`.execute(this.db);
    return rows[0]!;
  }

  /**
   * Records an attempted day. `nextDate` is the first day not done: the day after it when every day
   * of this run so far succeeded, otherwise the first day of this run that failed (the cursor never
   * passes a failed day, so a resumed run starts there).
   */
  async dayDone(id: number, nextDate: string, pages: number, failed: number): Promise<void> {
    await sql`
      UPDATE backfills SET next_date = ${nextDate}, pages_done = pages_done + ${pages},
        pages_failed = CASE WHEN ${nextDate}::date > to_date THEN 0 ELSE pages_failed + ${failed} END,
        updated_at = now(), finished_at = CASE WHEN ${nextDate}::date > to_date THEN now() ELSE NULL END
      WHERE id = ${id}`.execute(this.db);
  }
}
