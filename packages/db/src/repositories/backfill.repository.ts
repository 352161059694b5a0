import { sql, type Kysely } from 'kysely';
import type { Database } from '../schema.js';

/** Progress of backfills, so a crashed one resumes where it stopped. */
export class BackfillRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /** The range's progress row: created by the first run, returned as it stands to every later run. */
  async startOrResume(source: string, from: string, to: string): Promise<{ id: number; nextDate: string; pagesDone: number }> {
    const { rows } = await sql<{ id: number; nextDate: string; pagesDone: number }>`
      INSERT INTO backfills (source, from_date, to_date, next_date) VALUES (${source}, ${from}, ${to}, ${from})
      ON CONFLICT ON CONSTRAINT backfills_range DO UPDATE SET updated_at = now()
      RETURNING id, next_date AS "nextDate", pages_done AS "pagesDone"`.execute(this.db);
    return rows[0]!;
  }

  /** Records a finished day: the next one is where a resumed run starts. */
  async dayDone(id: number, nextDate: string, pages: number, failed: number): Promise<void> {
    await sql`
      UPDATE backfills SET next_date = ${nextDate}, pages_done = pages_done + ${pages}, pages_failed = pages_failed + ${failed},
        updated_at = now(), finished_at = CASE WHEN ${nextDate}::date > to_date THEN now() ELSE NULL END
      WHERE id = ${id}`.execute(this.db);
  }
}
