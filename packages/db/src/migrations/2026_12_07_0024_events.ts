import { sql, type Kysely } from 'kysely';

// Frozen in time: this file never imports application code.
//
// Issue 15, events for downstream systems.
//
// `events` is the outbox: a change and the events it causes are written in one transaction, so an
// event exists exactly when its change committed. Readers (the webhook relay, the live stream,
// replay) walk it in *position* order, (tx_id, id): `tx_id` is the writing transaction's 64-bit id
// (pg_current_xact_id()), `id` the order within it. A reader only takes events whose transaction
// is older than every transaction still running (tx_id < pg_snapshot_xmin(pg_current_snapshot())),
// so no event can later appear behind a position a reader has passed: a plain serial id would not
// give that, since transactions commit in another order than they draw ids.
// `events_settled_before()` gives that bound. Transaction ids are the cluster's, so the plain
// snapshot xmin would also wait for a long transaction in *another* database on the same server
// (a test database, a neighbour's bulk load): the function leaves out transactions it sees running
// in another database (pg_stat_activity, read after the snapshot: an id it cannot place is kept,
// so the bound errs on the early side, never past an event still to come).
// `event_id` is the stable id consumers deduplicate by; `dedupe_key` (unique when set) makes an
// event that must exist once (a digest period sent, a paper crossing a threshold) idempotent under
// at-least-once jobs: its writer inserts with ON CONFLICT DO NOTHING.
//
// `webhook_endpoints`: the subscriptions. Each keeps its own position (`cursor_tx`, `cursor_id`,
// the last event delivered or skipped by its filter), its health and counters. Its secret signs
// the deliveries.
//
// `event_trending`: the papers announced as in the trending top N (paper.trending), so that a
// paper is announced when it enters, not at every refresh. `event_source_health`: each source's
// health as last announced (source.health_changed fires when it changes).
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE events (
      id bigserial PRIMARY KEY,
      event_id uuid NOT NULL DEFAULT gen_random_uuid() UNIQUE,
      tx_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
      type text NOT NULL,
      version integer NOT NULL,
      paper_id bigint,
      source text,
      topics text[] NOT NULL DEFAULT '{}',
      data jsonb NOT NULL,
      dedupe_key text UNIQUE,
      occurred_at timestamptz NOT NULL DEFAULT now()
    )`.execute(db);
  await sql`CREATE INDEX events_position ON events (tx_id, id)`.execute(db);
  // xip holds 64-bit ids, backend_xid 32-bit ones: compared modulo 2^32. STABLE: it reads the
  // calling statement's snapshot, the one the events are read with.
  await sql`
    CREATE FUNCTION events_settled_before() RETURNS xid8 LANGUAGE sql STABLE AS $$
      SELECT COALESCE(min(x), pg_snapshot_xmax(pg_current_snapshot()))
      FROM pg_snapshot_xip(pg_current_snapshot()) AS x
      WHERE NOT EXISTS (
        SELECT 1 FROM pg_stat_activity a
        WHERE a.backend_xid IS NOT NULL
          AND a.datname IS DISTINCT FROM current_database()
          AND a.backend_xid::text = (x::text::numeric % 4294967296)::text)
    $$`.execute(db);
  await sql`CREATE INDEX events_occurred_at ON events (occurred_at)`.execute(db);

  await sql`
    CREATE TABLE webhook_endpoints (
      id bigserial PRIMARY KEY,
      url text NOT NULL,
      description text,
      event_types text[] NOT NULL DEFAULT '{}',
      topics text[] NOT NULL DEFAULT '{}',
      secret text NOT NULL,
      enabled boolean NOT NULL DEFAULT true,
      disabled_reason text,
      disabled_at timestamptz,
      cursor_tx xid8 NOT NULL,
      cursor_id bigint NOT NULL,
      consecutive_failures integer NOT NULL DEFAULT 0,
      failing_since timestamptz,
      last_attempt_at timestamptz,
      last_success_at timestamptz,
      last_failure_at timestamptz,
      last_status integer,
      last_error text,
      delivered bigint NOT NULL DEFAULT 0,
      failed bigint NOT NULL DEFAULT 0,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    )`.execute(db);

  await sql`
    CREATE TABLE event_trending (
      paper_id bigint PRIMARY KEY,
      rank integer NOT NULL,
      entered_at timestamptz NOT NULL DEFAULT now()
    )`.execute(db);
  // digest.period_sent counts a period's deliveries once it is done (DigestRepository.finishedPeriod):
  // without this, every count would read the whole deliveries table.
  await sql`CREATE INDEX deliveries_period ON deliveries (period_key, status)`.execute(db);
  await sql`
    CREATE TABLE event_source_health (
      source text PRIMARY KEY,
      health text NOT NULL,
      reason text,
      changed_at timestamptz NOT NULL DEFAULT now()
    )`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TABLE IF EXISTS event_source_health`.execute(db);
  await sql`DROP INDEX IF EXISTS deliveries_period`.execute(db);
  await sql`DROP TABLE IF EXISTS event_trending`.execute(db);
  await sql`DROP TABLE IF EXISTS webhook_endpoints`.execute(db);
  await sql`DROP TABLE IF EXISTS events`.execute(db);
  await sql`DROP FUNCTION IF EXISTS events_settled_before()`.execute(db);
}
