import { type Kysely, sql } from 'kysely';
import type { Database } from '../schema.js';

/**
 * The outbox (migration 0024). A change writes its events with `appendEvents` inside its own
 * transaction; readers walk them by position. See the migration for why a position is the pair
 * (transaction id, id) and why readers stop before the oldest running transaction.
 */

/** One event to write: `type`, its schema `version` and `data` (@paperboy/pipeline `outboxEvent` builds it checked). */
export interface OutboxRow {
  type: string;
  version: number;
  data: unknown;
  paperId?: number;
  source?: string;
  topics?: readonly string[];
  dedupeKey?: string;
}

/** A place in the outbox: the writing transaction's id and the event's id (both 64-bit, as decimal text). */
export interface EventPosition {
  tx: string;
  id: string;
}

/** Before every event. */
export const OUTBOX_START: EventPosition = { tx: '0', id: '0' };

/** The position as one opaque token (`<tx>.<id>`): the stream's event ids, replay's cursors. */
export function formatPosition(position: EventPosition): string {
  return `${position.tx}.${position.id}`;
}

/** Whether position `a` comes after `b` (the 64-bit parts compared as numbers, never as text). */
export function positionAfter(a: EventPosition, b: EventPosition): boolean {
  const [atx, btx] = [BigInt(a.tx), BigInt(b.tx)];
  return atx !== btx ? atx > btx : BigInt(a.id) > BigInt(b.id);
}

/** A token of `formatPosition`, or null when it is not one. */
export function parsePosition(token: string): EventPosition | null {
  const match = /^(\d{1,20})\.(\d{1,20})$/.exec(token.trim());
  return match ? { tx: match[1]!, id: match[2]! } : null;
}

export interface StoredEvent {
  position: EventPosition;
  /** The stable id consumers deduplicate by. */
  eventId: string;
  type: string;
  version: number;
  paperId: number | null;
  source: string | null;
  topics: string[];
  data: unknown;
  occurredAt: Date;
}

/** Which events a reader wants: empty or absent lists mean every type, every topic. */
export interface EventFilter {
  types?: readonly string[];
  /** Matches events about a paper with one of these topics; events not about a paper always pass. */
  topics?: readonly string[];
}

type Executor = Kysely<Database>;

/** Rows an insert of appendEvents carries at most. */
const APPEND_CHUNK = 5000;

/**
 * Writes `events` in the caller's transaction (or connection): the caller's change and its events
 * commit together or not at all. An event whose `dedupeKey` exists already is skipped. Returns how
 * many were written.
 */
export async function appendEvents(db: Executor, events: readonly OutboxRow[]): Promise<number> {
  const written = await appendEventsByType(db, events);
  return Object.values(written).reduce((sum, n) => sum + n, 0);
}

/**
 * appendEvents, telling how many of each type were written (those skipped by their dedupe key not
 * counted): what a writer adds to the emitted-events metric once its transaction committed.
 * One statement up to APPEND_CHUNK events: a statement takes at most 65,535 parameters (7 a row),
 * so a larger write goes in several, in the caller's transaction.
 */
export async function appendEventsByType(db: Executor, events: readonly OutboxRow[]): Promise<Record<string, number>> {
  const written: Record<string, number> = {};
  for (let from = 0; from < events.length; from += APPEND_CHUNK) {
    const rows = await db
      .insertInto('events')
      .values(
        events.slice(from, from + APPEND_CHUNK).map((e) => ({
          type: e.type,
          version: e.version,
          data: JSON.stringify(e.data),
          paper_id: e.paperId ?? null,
          source: e.source ?? null,
          topics: [...(e.topics ?? [])],
          dedupe_key: e.dedupeKey ?? null,
        })),
      )
      .onConflict((oc) => oc.column('dedupe_key').doNothing())
      .returning('type')
      .execute();
    for (const { type } of rows) written[type] = (written[type] ?? 0) + 1;
  }
  return written;
}

/** Only transactions that ended before every running one: no event can appear behind these later. */
const SETTLED = sql<boolean>`tx_id < (SELECT events_settled_before())`;

const filterSql = (filter: EventFilter) => {
  const types = [...(filter.types ?? [])];
  const topics = [...(filter.topics ?? [])];
  return sql`(cardinality(${types}::text[]) = 0 OR type = ANY(${types}::text[]))
    AND (cardinality(${topics}::text[]) = 0 OR paper_id IS NULL OR topics && ${topics}::text[])`;
};

interface EventRow {
  id: string;
  event_id: string;
  tx_id: string;
  type: string;
  version: number;
  paper_id: string | number | null;
  source: string | null;
  topics: string[];
  data: unknown;
  occurred_at: Date;
}

const toStored = (r: EventRow): StoredEvent => ({
  position: { tx: r.tx_id, id: r.id },
  eventId: r.event_id,
  type: r.type,
  version: r.version,
  paperId: r.paper_id === null ? null : Number(r.paper_id),
  source: r.source,
  topics: r.topics,
  data: r.data,
  occurredAt: r.occurred_at,
});

export class EventRepository {
  constructor(private readonly db: Executor) {}

  /** Up to `limit` settled events after `position` that pass `filter`, in position order. */
  async after(position: EventPosition, filter: EventFilter, limit: number): Promise<StoredEvent[]> {
    const { rows } = await sql<EventRow>`
      SELECT id::text, event_id::text, tx_id::text, type, version, paper_id, source, topics, data, occurred_at
      FROM events
      WHERE (tx_id, id) > (${position.tx}::xid8, ${position.id}::bigint) AND ${SETTLED} AND ${filterSql(filter)}
      ORDER BY events.tx_id, events.id -- the columns: a bare name would sort by the text the SELECT makes of them
      LIMIT ${limit}`.execute(this.db);
    return rows.map(toStored);
  }

  /** The position of the last settled event (OUTBOX_START when there is none): "from now on". */
  async head(): Promise<EventPosition> {
    const { rows } = await sql<{ tx: string; id: string }>`
      SELECT tx_id::text AS tx, id::text AS id FROM events WHERE ${SETTLED}
      ORDER BY events.tx_id DESC, events.id DESC LIMIT 1`.execute(this.db);
    return rows[0] ?? OUTBOX_START;
  }

  /** The position just before the first event that occurred at or after `since` (replay starts after it). */
  async positionBefore(since: Date): Promise<EventPosition> {
    const { rows } = await sql<{ tx: string; id: string }>`
      SELECT tx_id::text AS tx, id::text AS id FROM events
      WHERE occurred_at < ${since} ORDER BY events.tx_id DESC, events.id DESC LIMIT 1`.execute(this.db);
    return rows[0] ?? OUTBOX_START;
  }

  /** The event with this stable id, or undefined (never written, or pruned). */
  async byEventId(eventId: string): Promise<StoredEvent | undefined> {
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(eventId)) return undefined;
    const { rows } = await sql<EventRow>`
      SELECT id::text, event_id::text, tx_id::text, type, version, paper_id, source, topics, data, occurred_at
      FROM events WHERE event_id = ${eventId}::uuid`.execute(this.db);
    return rows[0] && toStored(rows[0]);
  }

  /** Deletes up to `limit` events that occurred before `before` (retention); returns how many. */
  async prune(before: Date, limit = 10_000): Promise<number> {
    const result = await sql`
      DELETE FROM events WHERE id IN (SELECT id FROM events WHERE occurred_at < ${before} ORDER BY id LIMIT ${limit})`.execute(
      this.db,
    );
    return Number(result.numAffectedRows ?? 0);
  }

  /**
   * Whether the outbox holds positions this server's transaction counter has not reached: the database
   * was restored with pg_dump/pg_restore (or moved by logical replication) onto a server whose counter
   * is behind. New events would then sort before every stored position and reach no reader until the
   * counter passed them (docs/recovery/events.md says what to do). Null when they are fine, else the
   * highest stored transaction id and the server's next one.
   */
  async positionsAheadOfServer(): Promise<{ stored: string; next: string } | null> {
    const { rows } = await sql<{ stored: string | null; next: string }>`
      SELECT GREATEST((SELECT max(tx_id) FROM events), (SELECT max(cursor_tx) FROM webhook_endpoints))::text AS stored,
             pg_snapshot_xmax(pg_current_snapshot())::text AS next`.execute(this.db);
    const row = rows[0]!;
    return row.stored !== null && BigInt(row.stored) >= BigInt(row.next)
      ? { stored: row.stored, next: row.next }
      : null;
  }

  /** Events by type (retention included): for /metrics and the dashboard. */
  async countByType(): Promise<Array<{ type: string; events: number }>> {
    const { rows } = await sql<{ type: string; events: number }>`
      SELECT type, count(*)::int AS events FROM events GROUP BY type ORDER BY type`.execute(this.db);
    return rows;
  }
}
