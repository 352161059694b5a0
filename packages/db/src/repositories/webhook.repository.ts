import { type Kysely, type Selectable, sql } from 'kysely';
import type { Database, WebhookEndpointsTable } from '../schema.js';
import type { EventPosition } from './event.repository.js';

/** A webhook subscription as the CLI, the admin API and the delivery worker see it (migration 0024). */
export interface WebhookEndpoint {
  id: number;
  url: string;
  description: string | null;
  /** Empty: every type. */
  eventTypes: string[];
  /** Empty: every topic (events not about a paper always pass). */
  topics: string[];
  secret: string;
  enabled: boolean;
  disabledReason: string | null;
  disabledAt: Date | null;
  /** The last event delivered (or passed over by the filter): delivery resumes after it. */
  cursor: EventPosition;
  consecutiveFailures: number;
  /** The first failure of the current run of failures (null while healthy). */
  failingSince: Date | null;
  lastAttemptAt: Date | null;
  lastSuccessAt: Date | null;
  lastFailureAt: Date | null;
  lastStatus: number | null;
  lastError: string | null;
  delivered: number;
  failed: number;
  createdAt: Date;
}

export interface NewWebhookEndpoint {
  url: string;
  description?: string | null;
  eventTypes?: readonly string[];
  topics?: readonly string[];
  secret: string;
}

export type WebhookEndpointChange = Partial<
  Pick<NewWebhookEndpoint, 'url' | 'description' | 'eventTypes' | 'topics' | 'secret'>
>;

const toEndpoint = (r: Selectable<WebhookEndpointsTable>): WebhookEndpoint => ({
  id: Number(r.id),
  url: r.url,
  description: r.description,
  eventTypes: r.event_types,
  topics: r.topics,
  secret: r.secret,
  enabled: r.enabled,
  disabledReason: r.disabled_reason,
  disabledAt: r.disabled_at,
  cursor: { tx: String(r.cursor_tx), id: String(r.cursor_id) },
  consecutiveFailures: r.consecutive_failures,
  failingSince: r.failing_since,
  lastAttemptAt: r.last_attempt_at,
  lastSuccessAt: r.last_success_at,
  lastFailureAt: r.last_failure_at,
  lastStatus: r.last_status,
  lastError: r.last_error,
  delivered: Number(r.delivered),
  failed: Number(r.failed),
  createdAt: r.created_at,
});

/** The last settled event's position, as SQL (the events table's own rule; OUTBOX_START when empty). */
const HEAD_TX = sql`COALESCE((SELECT tx_id FROM events WHERE tx_id < (SELECT events_settled_before()) ORDER BY tx_id DESC, id DESC LIMIT 1), '0'::xid8)`;
const HEAD_ID = sql`COALESCE((SELECT id FROM events WHERE tx_id < (SELECT events_settled_before()) ORDER BY tx_id DESC, id DESC LIMIT 1), 0)`;

/** Webhook subscriptions, their positions in the outbox and their health. */
export class WebhookRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /** A new endpoint, enabled, positioned at the outbox's head: it receives events from now on. */
  async create(endpoint: NewWebhookEndpoint): Promise<WebhookEndpoint> {
    const row = await this.db
      .insertInto('webhook_endpoints')
      .values({
        url: endpoint.url,
        description: endpoint.description ?? null,
        event_types: [...(endpoint.eventTypes ?? [])],
        topics: [...(endpoint.topics ?? [])],
        secret: endpoint.secret,
        cursor_tx: HEAD_TX as unknown as string,
        cursor_id: HEAD_ID as unknown as string,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toEndpoint(row);
  }

  async list(): Promise<WebhookEndpoint[]> {
    const rows = await this.db.selectFrom('webhook_endpoints').selectAll().orderBy('id').execute();
    return rows.map(toEndpoint);
  }

  async get(id: number): Promise<WebhookEndpoint | undefined> {
    const row = await this.db.selectFrom('webhook_endpoints').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toEndpoint(row);
  }

  /** Changes what is given; returns the endpoint, or undefined when there is none with this id. */
  async update(id: number, change: WebhookEndpointChange): Promise<WebhookEndpoint | undefined> {
    const values: Record<string, unknown> = { updated_at: sql`now()` };
    if (change.url !== undefined) values.url = change.url;
    if (change.description !== undefined) values.description = change.description;
    if (change.eventTypes !== undefined) values.event_types = [...change.eventTypes];
    if (change.topics !== undefined) values.topics = [...change.topics];
    if (change.secret !== undefined) values.secret = change.secret;
    const row = await this.db
      .updateTable('webhook_endpoints')
      .set(values)
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
    return row && toEndpoint(row);
  }

  async remove(id: number): Promise<boolean> {
    const result = await this.db.deleteFrom('webhook_endpoints').where('id', '=', id).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  /** Enables (clearing the failure run, so it gets a fresh day) or disables with a reason. */
  async setEnabled(id: number, enabled: boolean, reason: string | null = null): Promise<WebhookEndpoint | undefined> {
    const row = await this.db
      .updateTable('webhook_endpoints')
      .set(
        enabled
          ? {
              enabled: true,
              disabled_reason: null,
              disabled_at: null,
              consecutive_failures: 0,
              failing_since: null,
              updated_at: sql`now()`,
            }
          : { enabled: false, disabled_reason: reason, disabled_at: sql`now()`, updated_at: sql`now()` },
      )
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
    return row && toEndpoint(row);
  }

  /**
   * Moves the endpoint's position forward to `through` (never back) after `delivered` events were
   * accepted, and clears its failure run when any were. `delivered` 0 only passes over events.
   * With `from` (the position the deliverer started at) it is a compare-and-set: nothing moves if the
   * position is no longer `from` (a replay rewound it meanwhile, which must win). Returns whether it moved.
   */
  async advance(id: number, through: EventPosition, delivered: number, from?: EventPosition): Promise<boolean> {
    const unchanged = from ? sql`AND (cursor_tx, cursor_id) = (${from.tx}::xid8, ${from.id}::bigint)` : sql``;
    const result = await sql`
      UPDATE webhook_endpoints SET
        cursor_tx = ${through.tx}::xid8, cursor_id = ${through.id}::bigint,
        delivered = delivered + ${delivered},
        consecutive_failures = CASE WHEN ${delivered} > 0 THEN 0 ELSE consecutive_failures END,
        failing_since = CASE WHEN ${delivered} > 0 THEN NULL ELSE failing_since END,
        last_success_at = CASE WHEN ${delivered} > 0 THEN now() ELSE last_success_at END,
        last_attempt_at = CASE WHEN ${delivered} > 0 THEN now() ELSE last_attempt_at END,
        updated_at = now()
      WHERE id = ${id} AND (cursor_tx, cursor_id) < (${through.tx}::xid8, ${through.id}::bigint) ${unchanged}`.execute(
      this.db,
    );
    return Number(result.numAffectedRows ?? 0) > 0;
  }

  /** Records a failed attempt; returns the failure run (its length and start) after it. */
  async recordFailure(
    id: number,
    failure: { status: number | null; error: string },
  ): Promise<{ consecutiveFailures: number; failingSince: Date } | undefined> {
    const { rows } = await sql<{ consecutive_failures: number; failing_since: Date }>`
      UPDATE webhook_endpoints SET
        consecutive_failures = consecutive_failures + 1,
        failing_since = COALESCE(failing_since, now()),
        failed = failed + 1,
        last_attempt_at = now(), last_failure_at = now(),
        last_status = ${failure.status}, last_error = ${failure.error.slice(0, 1000)},
        updated_at = now()
      WHERE id = ${id}
      RETURNING consecutive_failures, failing_since`.execute(this.db);
    const row = rows[0];
    return row && { consecutiveFailures: row.consecutive_failures, failingSince: row.failing_since };
  }

  /** Records the status of a successful attempt (the counters move in `advance`). */
  async recordSuccessStatus(id: number, status: number): Promise<void> {
    await sql`UPDATE webhook_endpoints SET last_status = ${status}, last_error = NULL WHERE id = ${id}`.execute(
      this.db,
    );
  }

  /** Sets the position back (replay): delivery starts again after `position`. */
  async rewind(id: number, position: EventPosition): Promise<WebhookEndpoint | undefined> {
    const { rows } = await sql<{ id: number }>`
      UPDATE webhook_endpoints SET cursor_tx = ${position.tx}::xid8, cursor_id = ${position.id}::bigint, updated_at = now()
      WHERE id = ${id} RETURNING id`.execute(this.db);
    return rows[0] ? this.get(id) : undefined;
  }

  /**
   * Moves every enabled endpoint with a filter to the head when no settled event between its position
   * and the head passes the filter: events it will never receive stop counting against it, so the
   * relay's look for pending events (`withPendingEvents`) starts near the head instead of scanning the
   * same unwanted events every period. Only settled events are passed over (the head is the last
   * settled one, and every event before it is visible here). Returns how many endpoints moved.
   */
  async passOverFiltered(): Promise<number> {
    const result = await sql`
      WITH head AS (
        SELECT tx_id, id FROM events WHERE tx_id < (SELECT events_settled_before())
        ORDER BY tx_id DESC, id DESC LIMIT 1)
      UPDATE webhook_endpoints w SET cursor_tx = head.tx_id, cursor_id = head.id, updated_at = now()
      FROM head
      WHERE w.enabled AND (cardinality(w.event_types) > 0 OR cardinality(w.topics) > 0)
        AND (w.cursor_tx, w.cursor_id) < (head.tx_id, head.id)
        AND NOT EXISTS (
          SELECT 1 FROM events e
          WHERE (e.tx_id, e.id) > (w.cursor_tx, w.cursor_id) AND (e.tx_id, e.id) <= (head.tx_id, head.id)
            AND (cardinality(w.event_types) = 0 OR e.type = ANY(w.event_types))
            AND (cardinality(w.topics) = 0 OR e.paper_id IS NULL OR e.topics && w.topics))`.execute(this.db);
    return Number(result.numAffectedRows ?? 0);
  }

  /** Enabled endpoints with at least one settled event after their position that passes their filter. */
  async withPendingEvents(limit = 1000): Promise<number[]> {
    const { rows } = await sql<{ id: string }>`
      SELECT w.id::text FROM webhook_endpoints w
      WHERE w.enabled AND EXISTS (
        SELECT 1 FROM events e
        WHERE (e.tx_id, e.id) > (w.cursor_tx, w.cursor_id)
          AND e.tx_id < (SELECT events_settled_before())
          AND (cardinality(w.event_types) = 0 OR e.type = ANY(w.event_types))
          AND (cardinality(w.topics) = 0 OR e.paper_id IS NULL OR e.topics && w.topics))
      ORDER BY w.id LIMIT ${limit}`.execute(this.db);
    return rows.map((r) => Number(r.id));
  }
}
