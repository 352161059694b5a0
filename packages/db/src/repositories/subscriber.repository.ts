import { sql, type Kysely } from 'kysely';
import type { Database, SubscriberPreferencesRow, SubscribersTable } from '../schema.js';

export interface Preferences {
  topics: string[];
  frequency: 'daily' | 'weekly';
  sendHour?: number;
  timeZone?: string;
  minUpvotes?: number;
  maxPapers?: number;
}

/**
 * SET fragment for a subscriber becoming active: one that was confirmed or unsubscribed before is
 * subscribing again, so the links mailed before (to an inbox that may have changed hands) stop
 * working. A first confirmation revokes nothing. Evaluated against the row before the update.
 */
const REVOKE_ON_REACTIVATION = sql`token_version = token_version + CASE WHEN confirmed_at IS NOT NULL OR unsubscribed_at IS NOT NULL THEN 1 ELSE 0 END`;

export type SubscriberStatus = SubscribersTable['status'];
export type SubscriberDeliveryStatus = 'planned' | 'claimed' | 'sent' | 'skipped' | 'failed';

/**
 * Subscribers, their preferences and their deliveries. A delivery is claimed in the database
 * before its SMTP transaction and never claimed twice: a send is at most once per subscriber and
 * period, whatever crashes and retries happen around it.
 */
export class SubscriberRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /**
   * A subscription request: creates the subscriber (pending, or active when an operator adds it)
   * with its preferences. An address that unsubscribed becomes pending again (it gets digests only
   * once it confirms); any other known address keeps its status, and only a pending one gets the new
   * preferences. Returns the subscriber either way (callers must not reveal which).
   */
  async subscribe(email: string, preferences: Preferences, status: 'pending' | 'active'): Promise<{ id: number; status: SubscriberStatus; created: boolean; tokenVersion: number }> {
    return this.db.transaction().execute(async (trx) => {
      const { rows } = await sql<{ id: number; status: SubscriberStatus; created: boolean; tokenVersion: number }>`
        WITH inserted AS (
          INSERT INTO subscribers (email, status, confirmed_at) VALUES (${email}, ${status}, ${status === 'active' ? sql`now()` : null})
          ON CONFLICT (email) DO NOTHING
          RETURNING id, status, true AS created, token_version AS "tokenVersion"
        )
        SELECT * FROM inserted
        UNION ALL
        SELECT id, status, false, token_version FROM subscribers WHERE email = ${email} AND NOT EXISTS (SELECT 1 FROM inserted)`.execute(trx);
      const subscriber = rows[0]!;
      if (subscriber.status === 'unsubscribed' && status === 'pending') {
        await sql`UPDATE subscribers SET status = 'pending' WHERE id = ${subscriber.id} AND status = 'unsubscribed'`.execute(trx);
        subscriber.status = 'pending';
      }
      if (subscriber.created || subscriber.status === 'pending' || status === 'active') {
        await sql`
          INSERT INTO subscriber_preferences (subscriber_id, topics, frequency, send_hour, time_zone, min_upvotes, max_papers)
          VALUES (${subscriber.id}, ${preferences.topics}::text[], ${preferences.frequency}, ${preferences.sendHour ?? 8},
                  ${preferences.timeZone ?? 'UTC'}, ${preferences.minUpvotes ?? 0}, ${preferences.maxPapers ?? 10})
          ON CONFLICT (subscriber_id) DO UPDATE SET topics = EXCLUDED.topics, frequency = EXCLUDED.frequency,
            send_hour = EXCLUDED.send_hour, time_zone = EXCLUDED.time_zone, min_upvotes = EXCLUDED.min_upvotes,
            max_papers = EXCLUDED.max_papers, updated_at = now()`.execute(trx);
      }
      if (status === 'active' && subscriber.status !== 'active') {
        const { rows: updated } = await sql<{ tokenVersion: number }>`
          UPDATE subscribers SET status = 'active', confirmed_at = now(), unsubscribed_at = NULL, ${REVOKE_ON_REACTIVATION}
          WHERE id = ${subscriber.id} RETURNING token_version AS "tokenVersion"`.execute(trx);
        subscriber.status = 'active';
        subscriber.tokenVersion = updated[0]!.tokenVersion;
      }
      return subscriber;
    });
  }

  async updatePreferences(subscriberId: number, preferences: Required<Preferences>): Promise<void> {
    await sql`
      UPDATE subscriber_preferences SET topics = ${preferences.topics}::text[], frequency = ${preferences.frequency},
        send_hour = ${preferences.sendHour}, time_zone = ${preferences.timeZone}, min_upvotes = ${preferences.minUpvotes},
        max_papers = ${preferences.maxPapers}, updated_at = now()
      WHERE subscriber_id = ${subscriberId}`.execute(this.db);
  }

  /**
   * Double opt-in: a pending subscriber becomes active. Returns false when there was nothing to
   * confirm. Confirming again after an unsubscription revokes every link mailed before it.
   */
  async confirm(id: number): Promise<boolean> {
    const result = await sql`UPDATE subscribers SET status = 'active', confirmed_at = now(), unsubscribed_at = NULL, ${REVOKE_ON_REACTIVATION} WHERE id = ${id} AND status = 'pending'`.execute(this.db);
    return Number(result.numAffectedRows ?? 0) > 0;
  }

  /** The version a subscriber's links must carry, and its status; null when there is no such subscriber. */
  async linkState(id: number): Promise<{ tokenVersion: number; status: SubscriberStatus } | null> {
    const row = await this.db.selectFrom('subscribers').select(['token_version', 'status']).where('id', '=', id).executeTakeFirst();
    return row ? { tokenVersion: row.token_version, status: row.status } : null;
  }

  /** "Sign out every link": every link mailed so far stops working. Returns the new version (null: no such subscriber). */
  async signOutEverywhere(id: number): Promise<number | null> {
    const { rows } = await sql<{ version: number }>`UPDATE subscribers SET token_version = token_version + 1 WHERE id = ${id} RETURNING token_version AS version`.execute(this.db);
    return rows[0]?.version ?? null;
  }

  /**
   * Takes one of the address's confirmation mails for the current hour, before the SMTP transaction
   * (atomic: concurrent sends cannot exceed the limit). Only a pending subscriber gets one. The hour
   * starts with the first mail sent, so requests that send nothing never extend it.
   */
  async claimConfirmation(id: number, perHour: number): Promise<{ email: string; tokenVersion: number } | { refused: 'limited' | 'not-pending' }> {
    const { rows } = await sql<{ email: string | null; tokenVersion: number; status: SubscriberStatus }>`
      WITH claimed AS (
        UPDATE subscribers SET
          confirmations_sent = CASE WHEN confirmation_window_at > now() - interval '1 hour' THEN confirmations_sent + 1 ELSE 1 END,
          confirmation_window_at = CASE WHEN confirmation_window_at > now() - interval '1 hour' THEN confirmation_window_at ELSE now() END,
          confirmation_sent_at = now()
        WHERE id = ${id} AND status = 'pending'
          AND (confirmation_window_at IS NULL OR confirmation_window_at <= now() - interval '1 hour' OR confirmations_sent < ${perHour})
        RETURNING email
      )
      SELECT (SELECT email FROM claimed) AS email, token_version AS "tokenVersion", status FROM subscribers WHERE id = ${id}`.execute(this.db);
    const row = rows[0];
    if (row?.email) return { email: row.email, tokenVersion: row.tokenVersion };
    return { refused: row?.status === 'pending' ? 'limited' : 'not-pending' };
  }

  /** A confirmation the SMTP server did not take (a 4xx before it accepted): its retry may send it. */
  async releaseConfirmation(id: number): Promise<void> {
    await sql`UPDATE subscribers SET confirmations_sent = greatest(confirmations_sent - 1, 0) WHERE id = ${id}`.execute(this.db);
  }

  /** Unsubscribes; idempotent. Deliveries planned but not yet claimed are skipped. */
  async unsubscribe(id: number): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await sql`UPDATE subscribers SET status = 'unsubscribed', unsubscribed_at = coalesce(unsubscribed_at, now()) WHERE id = ${id} AND status <> 'bounced'`.execute(trx);
      await sql`UPDATE deliveries SET status = 'skipped', finished_at = now(), error = 'unsubscribed' WHERE subscriber_id = ${id} AND status = 'planned'`.execute(trx);
    });
  }

  /** A subscriber's digest preferences; undefined when none were stored. */
  async preferences(subscriberId: number): Promise<SubscriberPreferencesRow | undefined> {
    return this.db.selectFrom('subscriber_preferences').selectAll().where('subscriber_id', '=', subscriberId).executeTakeFirst();
  }

  async findByEmail(email: string) {
    return this.db.selectFrom('subscribers').selectAll().where('email', '=', email).executeTakeFirst();
  }

  /** Plans a delivery; a second plan for the same subscriber and period adds nothing. Returns its id if new. */
  async planDelivery(subscriberId: number, periodKey: string): Promise<number | null> {
    const { rows } = await sql<{ id: number }>`
      INSERT INTO deliveries (subscriber_id, period_key, status) VALUES (${subscriberId}, ${periodKey}, 'planned')
      ON CONFLICT ON CONSTRAINT deliveries_subscriber_period DO NOTHING RETURNING id`.execute(this.db);
    return rows[0]?.id ?? null;
  }

  /**
   * Claims a planned delivery for sending, only while its subscriber is active. The claim is the
   * commit point: a delivery claimed once is never claimed again, so no digest goes out twice.
   */
  async claimDelivery(deliveryId: number): Promise<{ subscriberId: number; email: string; periodKey: string; tokenVersion: number } | null> {
    const { rows } = await sql<{ subscriberId: number; email: string; periodKey: string; tokenVersion: number }>`
      UPDATE deliveries d SET status = 'claimed', claimed_at = now(), attempts = attempts + 1
      FROM subscribers s
      WHERE d.id = ${deliveryId} AND d.status = 'planned' AND s.id = d.subscriber_id AND s.status = 'active'
      RETURNING s.id AS "subscriberId", s.email, d.period_key AS "periodKey", s.token_version AS "tokenVersion"`.execute(this.db);
    return rows[0] ?? null;
  }

  /** A permanent SMTP failure: counted, and at `limit` the subscriber is marked bounced (no more mail). */
  async recordHardBounce(subscriberId: number, limit: number): Promise<boolean> {
    const { rows } = await sql<{ status: SubscriberStatus }>`
      UPDATE subscribers SET hard_bounces = hard_bounces + 1,
        status = CASE WHEN hard_bounces + 1 >= ${limit} THEN 'bounced' ELSE status END,
        bounced_at = CASE WHEN hard_bounces + 1 >= ${limit} THEN now() ELSE bounced_at END
      WHERE id = ${subscriberId} RETURNING status`.execute(this.db);
    return rows[0]?.status === 'bounced';
  }

  async deliveryStatuses(deliveryIds: readonly number[]): Promise<Map<number, SubscriberDeliveryStatus>> {
    if (deliveryIds.length === 0) return new Map();
    const rows = await this.db.selectFrom('deliveries').select(['id', 'status']).where('id', 'in', [...deliveryIds]).execute();
    return new Map(rows.map((r) => [r.id, r.status]));
  }

  async list() {
    return this.db
      .selectFrom('subscribers as s')
      .leftJoin('subscriber_preferences as p', 'p.subscriber_id', 's.id')
      .select(['s.id', 's.email', 's.status', 's.created_at', 's.confirmed_at', 'p.topics', 'p.frequency', 'p.send_hour', 'p.time_zone', 'p.min_upvotes', 'p.max_papers'])
      .orderBy('s.id')
      .execute();
  }

  /** A temporary SMTP failure before the server accepted the message: the delivery may be claimed again. */
  async releaseDelivery(deliveryId: number, error: string): Promise<void> {
    await sql`UPDATE deliveries SET status = 'planned', error = ${error} WHERE id = ${deliveryId} AND status = 'claimed'`.execute(this.db);
  }

  /** Records why a claimed delivery's outcome is unknown; it stays claimed (never sent twice). */
  async noteDeliveryError(deliveryId: number, error: string): Promise<void> {
    await sql`UPDATE deliveries SET error = ${error} WHERE id = ${deliveryId} AND status = 'claimed'`.execute(this.db);
  }

  async finishDelivery(deliveryId: number, outcome: { status: 'sent' | 'skipped' | 'failed'; messageId?: string; response?: string; error?: string }): Promise<void> {
    await sql`
      UPDATE deliveries SET status = ${outcome.status}, message_id = ${outcome.messageId ?? null}, smtp_response = ${outcome.response ?? null},
        error = ${outcome.error ?? null}, finished_at = now()
      WHERE id = ${deliveryId}`.execute(this.db);
  }
}
