import { sql, type Kysely } from 'kysely';
import type { Database } from '../schema.js';

/** A delivery claimed longer than the threshold: its sender most likely died mid-send. */
export interface StuckDelivery {
  deliveryId: number;
  subscriberId: number;
  email: string;
  /** The subscriber's status now: only `active` ones are re-sent. */
  subscriberStatus: string;
  periodKey: string;
  claimedAt: Date;
  attempts: number;
}

/** Deliveries released for a resend, each with the claims it had (its resend job id carries it). */
export interface ReleasedDelivery {
  deliveryId: number;
  subscriberId: number;
  attempts: number;
}

/** `claimed_at` older than this many minutes (a bound parameter, never spliced into the SQL). */
const claimedBefore = (minutes: number) => sql`d.claimed_at < now() - ${minutes} * interval '1 minute'`;

/**
 * Stuck deliveries: claimed (the at-most-once commit point) and never finished, because the
 * process sending them died between the claim and the end of the SMTP transaction. Nothing sends
 * them again by itself; these queries count and list them, and re-send them when an operator says so
 * (`paperboy digest resend-stuck`: at least once for those, as the server may have accepted the first).
 */
export class StuckDeliveryRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /** How many deliveries have been claimed for longer than `minutes` (metrics, dashboard). */
  async countStuck(minutes: number): Promise<number> {
    const { rows } = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM deliveries d WHERE d.status = 'claimed' AND ${claimedBefore(minutes)}`.execute(this.db);
    return rows[0]?.n ?? 0;
  }

  /** The stuck deliveries, oldest claim first (`paperboy digest stuck`). */
  async listStuck(minutes: number, limit = 10_000): Promise<StuckDelivery[]> {
    const { rows } = await sql<StuckDelivery>`
      SELECT d.id AS "deliveryId", d.subscriber_id AS "subscriberId", s.email, s.status AS "subscriberStatus",
        d.period_key AS "periodKey", d.claimed_at AS "claimedAt", d.attempts
      FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id
      WHERE d.status = 'claimed' AND ${claimedBefore(minutes)}
      ORDER BY d.claimed_at, d.id LIMIT ${limit}`.execute(this.db);
    return rows;
  }

  /**
   * Stuck deliveries of subscribers no longer active (unsubscribed, bounced) are finished as
   * skipped rather than re-sent: they asked for no more mail. Returns how many.
   */
  async skipStuckOfInactive(minutes: number): Promise<number> {
    const { rows } = await sql<{ id: number }>`
      UPDATE deliveries d SET status = 'skipped', finished_at = now(), error = 'stuck, not re-sent: subscriber ' || s.status
      FROM subscribers s
      WHERE s.id = d.subscriber_id AND s.status <> 'active' AND d.status = 'claimed' AND ${claimedBefore(minutes)}
      RETURNING d.id`.execute(this.db);
    return rows.length;
  }

  /**
   * Releases up to `limit` stuck deliveries of active subscribers back to `planned`, oldest claim
   * first, so a send job may claim them again. Rows another transaction holds are left for it
   * (SKIP LOCKED): two operators releasing at once release each delivery once. Run it in the
   * transaction that enqueues the send jobs, so a failed enqueue leaves them claimed (still listed).
   */
  async releaseStuck(minutes: number, limit = 500): Promise<ReleasedDelivery[]> {
    const { rows } = await sql<ReleasedDelivery>`
      UPDATE deliveries d SET status = 'planned', error = 'stuck: released for a resend by an operator'
      FROM (SELECT d.id FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id
            WHERE d.status = 'claimed' AND ${claimedBefore(minutes)} AND s.status = 'active'
            ORDER BY d.claimed_at, d.id LIMIT ${limit} FOR UPDATE OF d SKIP LOCKED) stuck
      WHERE d.id = stuck.id
      RETURNING d.id AS "deliveryId", d.subscriber_id AS "subscriberId", d.attempts`.execute(this.db);
    return rows;
  }
}
