import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';
import { now } from './expressions.js';

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
  async startOrResume(
    source: string,
    from: string,
    to: string,
  ): Promise<{ id: number; nextDate: string; pagesDone: number; pagesFailed: number }> {
    return (
      this.db
        .insertInto('backfills')
        .values({ source, from_date: from, to_date: to, next_date: from })
        .onConflict((oc) =>
          oc.constraint('backfills_range').doUpdateSet((eb) => ({
            updated_at: now,
            next_date: eb
              .case()
              .when(eb.and([eb('backfills.finished_at', 'is not', null), eb('backfills.pages_failed', '>', 0)]))
              .then(eb.ref('backfills.from_date'))
              .else(eb.ref('backfills.next_date'))
              .end(),
            finished_at: eb
              .case()
              .when('backfills.pages_failed', '>', 0)
              .then(null)
              .else(eb.ref('backfills.finished_at'))
              .end(),
          })),
        )
        // Dates read as YYYY-MM-DD text (connection.ts), as to_char gave them.
        .returning(['id', 'next_date as nextDate', 'pages_done as pagesDone', 'pages_failed as pagesFailed'])
        .executeTakeFirstOrThrow()
    );
  }

  /**
   * Records an attempted day. `nextDate` is the first day not done: the day after it when every day
   * of this run so far succeeded, otherwise the first day of this run that failed (the cursor never
   * passes a failed day, so a resumed run starts there).
   */
  async dayDone(id: number, nextDate: string, pages: number, failed: number): Promise<void> {
    await this.db
      .updateTable('backfills')
      .set((eb) => {
        const pastEnd = eb(eb.cast(eb.val(nextDate), 'date'), '>', eb.ref('to_date'));
        return {
          next_date: nextDate,
          pages_done: eb('pages_done', '+', pages),
          pages_failed: eb
            .case()
            .when(pastEnd)
            .then(0)
            .else(eb('pages_failed', '+', failed))
            .end(),
          updated_at: now,
          finished_at: eb.case().when(pastEnd).then(now).else(null).end(),
        };
      })
      .where('id', '=', id)
      .execute();
  }
}
