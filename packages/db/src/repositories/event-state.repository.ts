import { type Kysely, sql } from 'kysely';
import type { Database } from '../schema.js';

/**
 * What has been announced, so that an event fires on a change and not on every look (migration
 * 0024): the papers announced in the trending top N (`event_trending`) and each source's health as
 * last announced (`event_source_health`). Every method runs in the caller's transaction, the one
 * that writes the change and its events.
 */
export class EventStateRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /**
   * Makes `top` (paper ids, best first) the announced trending list: papers no longer in it are
   * forgotten (a later re-entry is announced again), the others keep or take their rank. Returns
   * the papers that entered, with their rank (1-based). Two statements, whatever N.
   */
  async replaceTrending(top: readonly number[]): Promise<Array<{ paperId: number; rank: number }>> {
    await this.db
      .deleteFrom('event_trending')
      .where('paper_id', '<>', sql<number>`ALL(${[...top]}::bigint[])`) // raw: one array parameter
      .execute();
    if (top.length === 0) return [];
    // Raw: rows from an unnest()ed array WITH ORDINALITY; xmax = 0 tells an inserted row from an updated one.
    const { rows } = await sql<{ paperId: number; rank: number; inserted: boolean }>`
      INSERT INTO event_trending AS t (paper_id, rank)
      SELECT u.id, u.rank FROM unnest(${[...top]}::bigint[]) WITH ORDINALITY AS u(id, rank)
      ON CONFLICT (paper_id) DO UPDATE SET rank = EXCLUDED.rank
      RETURNING t.paper_id AS "paperId", t.rank, (t.xmax = 0) AS inserted`.execute(this.db);
    return rows.filter((r) => r.inserted).map(({ paperId, rank }) => ({ paperId, rank }));
  }

  /** The health of `source` as last announced (null: never announced). With `lock`, until the transaction ends. */
  async sourceHealth(source: string, options: { lock?: boolean } = {}): Promise<string | null> {
    if (options.lock) {
      // The row may not exist yet: an advisory lock on the source's name serializes its announcers.
      await sql`SELECT pg_advisory_xact_lock(hashtextextended(${`paperboy:source-health:${source}`}, 7411))`.execute(
        this.db,
      ); // raw: a lock function, no table
    }
    const row = await this.db
      .selectFrom('event_source_health')
      .select('health')
      .where('source', '=', source)
      .executeTakeFirst();
    return row?.health ?? null;
  }

  /** The health of `source` as announced now. */
  async setSourceHealth(source: string, health: string, reason: string | null): Promise<void> {
    await this.db
      .insertInto('event_source_health')
      .values({ source, health, reason })
      .onConflict(
        (oc) => oc.column('source').doUpdateSet({ health, reason, changed_at: sql<Date>`now()` }), // raw: now()
      )
      .execute();
  }
}
