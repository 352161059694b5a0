import { type Kysely, sql } from 'kysely';
import type { Database } from '../schema.js';

/**
 * How far behind webhook endpoints are, and how far back the outbox goes: what the dashboard's
 * endpoint panel, `paperboy webhooks list` and `paperboy events replay` show operators.
 */
export class WebhookBacklogRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /**
   * Per endpoint, the settled events after its position that pass its filter, counted up to `cap`
   * (a count of `cap` means "at least"): bounded work however far behind an endpoint is.
   */
  async pendingEvents(cap = 10_000): Promise<Map<number, number>> {
    const { rows } = await sql<{ id: string; pending: number }>`
      SELECT w.id::text, (
        SELECT count(*)::int FROM (
          SELECT 1 FROM events e
          WHERE (e.tx_id, e.id) > (w.cursor_tx, w.cursor_id)
            AND e.tx_id < (SELECT events_settled_before())
            AND (cardinality(w.event_types) = 0 OR e.type = ANY(w.event_types))
            AND (cardinality(w.topics) = 0 OR e.paper_id IS NULL OR e.topics && w.topics)
          LIMIT ${cap}) pending) AS pending
      FROM webhook_endpoints w ORDER BY w.id`.execute(this.db);
    return new Map(rows.map((r) => [Number(r.id), r.pending]));
  }

  /** When the oldest event still in the outbox occurred (null: none), the start of what a replay can re-deliver. */
  async oldestEventAt(): Promise<Date | null> {
    const { rows } = await sql<{ oldest: Date | null }>`SELECT min(occurred_at) AS oldest FROM events`.execute(this.db);
    return rows[0]?.oldest ?? null;
  }
}
