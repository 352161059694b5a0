import { type ExpressionBuilder, type Kysely, sql } from 'kysely';
import type { Database } from '../schema.js';
import { now } from './expressions.js';

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
const claimedBefore = (eb: ExpressionBuilder<{ d: Database['deliveries'] }, 'd'>, minutes: number) =>
  eb('d.claimed_at', '<', sql<Date>`now() - ${minutes} * interval '1 minute'`); // raw: interval arithmetic

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
    const row = await this.db
      .selectFrom('deliveries as d')
      .select((eb) => eb.cast<number>(eb.fn.countAll(), 'integer').as('n'))
      .where('d.status', '=', 'claimed')
      .where((eb) => claimedBefore(eb, minutes))
      .executeTakeFirst();
    return row?.n ?? 0;
  }

  /** The stuck deliveries, oldest claim first (`paperboy digest stuck`). */
  async listStuck(minutes: number, limit = 10_000): Promise<StuckDelivery[]> {
    const rows = await this.db
      .selectFrom('deliveries as d')
      .innerJoin('subscribers as s', 's.id', 'd.subscriber_id')
      .select([
        'd.id as deliveryId',
        'd.subscriber_id as subscriberId',
        's.email',
        's.status as subscriberStatus',
        'd.period_key as periodKey',
        'd.claimed_at as claimedAt',
        'd.attempts',
      ])
      .where('d.status', '=', 'claimed')
      .where((eb) => claimedBefore(eb, minutes))
      .orderBy('d.claimed_at')
      .orderBy('d.id')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ ...r, claimedAt: r.claimedAt! }));
  }

  /**
   * Stuck deliveries of subscribers no longer active (unsubscribed, bounced) are finished as
   * skipped rather than re-sent: they asked for no more mail. Returns how many.
   */
  async skipStuckOfInactive(minutes: number): Promise<number> {
    const rows = await this.db
      .updateTable('deliveries as d')
      .from('subscribers as s')
      .set((eb) => ({
        status: 'skipped',
        finished_at: now,
        error: eb(eb.val('stuck, not re-sent: subscriber '), '||', eb.ref('s.status')),
      }))
      .whereRef('s.id', '=', 'd.subscriber_id')
      .where('s.status', '<>', 'active')
      .where('d.status', '=', 'claimed')
      .where((eb) => claimedBefore(eb, minutes))
      .returning('d.id')
      .execute();
    return rows.length;
  }

  /**
   * Releases up to `limit` stuck deliveries of active subscribers back to `planned`, oldest claim
   * first, so a send job may claim them again. Rows another transaction holds are left for it
   * (SKIP LOCKED): two operators releasing at once release each delivery once. Run it in the
   * transaction that enqueues the send jobs, so a failed enqueue leaves them claimed (still listed).
   */
  async releaseStuck(minutes: number, limit = 500): Promise<ReleasedDelivery[]> {
    // Raw: UPDATE … FROM a locking subquery (LIMIT … FOR UPDATE SKIP LOCKED), one statement.
    const { rows } = await sql<ReleasedDelivery>`
      UPDATE deliveries d SET status = 'planned', error = 'stuck: released for a resend by an operator'
      FROM (SELECT d.id FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id
            WHERE d.status = 'claimed' AND d.claimed_at < now() - ${minutes} * interval '1 minute' AND s.status = 'active'
            ORDER BY d.claimed_at, d.id LIMIT ${limit} FOR UPDATE OF d SKIP LOCKED) stuck
      WHERE d.id = stuck.id
      RETURNING d.id AS "deliveryId", d.subscriber_id AS "subscriberId", d.attempts`.execute(this.db);
    return rows;
  }
}
