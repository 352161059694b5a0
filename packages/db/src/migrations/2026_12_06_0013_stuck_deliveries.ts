import { sql, type Kysely } from 'kysely';

/**
 * Stuck digests: a delivery stays `claimed` for good when its sender dies between the claim and the
 * end of the SMTP transaction (at most once). The notifier's metric, the dashboard page and
 * `paperboy digest stuck` count those claimed longer than a threshold; this migration gives them an
 * index that reads only claimed rows, and dashboards a view of every claimed delivery and for how long.
 * Frozen: written against Kysely<any>, no application imports.
 */

const VIEW_COMMENT =
  'Deliveries claimed for sending and not finished, one row each, oldest claim first. A delivery claimed longer than PAPERBOY_STUCK_DELIVERY_MINUTES (default 15) is stuck: its sender died mid-send, and it is not sent again unless an operator runs `paperboy digest resend-stuck`.';

const COLUMN_COMMENTS: Record<string, string> = {
  delivery_id: 'deliveries.id (bigint).',
  subscriber_id: 'subscribers.id of the reader (bigint).',
  period_key: "The digest's period, e.g. daily-2026-12-06 or weekly-2026-W49 (text).",
  claimed_at: 'When the delivery was last claimed for sending (timestamptz).',
  attempts: 'Claims so far, this one included (integer).',
  claimed_minutes: 'Whole minutes since claimed_at, as of now() (integer); compare with PAPERBOY_STUCK_DELIVERY_MINUTES.',
};

const literal = (text: string) => `'${text.replace(/'/g, "''")}'`;

export async function up(db: Kysely<any>): Promise<void> {
  // Claimed rows are few (in flight or stuck) among every delivery ever planned: a partial index
  // keeps the count on every metrics scrape independent of the table's size.
  await sql`CREATE INDEX deliveries_claimed_at ON deliveries (claimed_at) WHERE status = 'claimed'`.execute(db);
  await sql`
    CREATE VIEW dashboard.claimed_deliveries AS
    SELECT id AS delivery_id, subscriber_id, period_key, claimed_at, attempts,
      floor(extract(epoch FROM now() - claimed_at) / 60)::int AS claimed_minutes
    FROM deliveries WHERE status = 'claimed'
    ORDER BY claimed_at, id`.execute(db);
  await sql.raw(`COMMENT ON VIEW dashboard.claimed_deliveries IS ${literal(VIEW_COMMENT)}`).execute(db);
  for (const [column, comment] of Object.entries(COLUMN_COMMENTS)) {
    await sql.raw(`COMMENT ON COLUMN dashboard.claimed_deliveries.${column} IS ${literal(comment)}`).execute(db);
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP VIEW IF EXISTS dashboard.claimed_deliveries`.execute(db);
  await sql`DROP INDEX IF EXISTS deliveries_claimed_at`.execute(db);
}
