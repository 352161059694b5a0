import { type ExpressionBuilder, type Kysely, sql, type Updateable } from 'kysely';
import type {
  Database,
  DeliveryStatus,
  SubscriberPreferencesRow,
  SubscriberPreferencesTable,
  SubscribersTable,
} from '../schema.js';
import { now } from './expressions.js';

export interface Preferences {
  topics: string[];
  frequency: 'daily' | 'weekly';
  sendHour?: number;
  timeZone?: string;
  minUpvotes?: number;
  maxPapers?: number;
  /** Authors whose papers always qualify, keywords that qualify a paper, keywords that exclude one. */
  followedAuthors?: string[];
  keywords?: string[];
  negativeKeywords?: string[];
}

/**
 * SET fragment for a subscriber becoming active: one that was confirmed or unsubscribed before is
 * subscribing again, so the links mailed before (to an inbox that may have changed hands) stop
 * working. A first confirmation revokes nothing. Evaluated against the row before the update.
 */
const revokeOnReactivation = (eb: ExpressionBuilder<Database, 'subscribers'>) =>
  eb(
    'token_version',
    '+',
    eb
      .case()
      .when(eb.or([eb('confirmed_at', 'is not', null), eb('unsubscribed_at', 'is not', null)]))
      .then(1)
      .else(0)
      .end(),
  );

/** The SET of a subscriber becoming active (confirmed now, no longer unsubscribed, older links revoked). */
const activate = (eb: ExpressionBuilder<Database, 'subscribers'>) => ({
  status: 'active' as const,
  confirmed_at: now,
  unsubscribed_at: null,
  token_version: revokeOnReactivation(eb),
});

/** Each preference as the CLI and the API show it (camelCase), and its column. */
const PREFERENCE_COLUMNS = {
  topics: 'topics',
  frequency: 'frequency',
  sendHour: 'send_hour',
  timeZone: 'time_zone',
  minUpvotes: 'min_upvotes',
  maxPapers: 'max_papers',
  // Last: `subscribers list` prints them after the older fields, whose order scripts depend on.
  followedAuthors: 'followed_authors',
  keywords: 'keywords',
  negativeKeywords: 'negative_keywords',
} as const;
type PreferenceColumns = typeof PREFERENCE_COLUMNS;
type PreferenceColumn = PreferenceColumns[keyof PreferenceColumns];
type PreferenceRow = Record<PreferenceColumns[keyof PreferenceColumns], unknown>;
type PreferencesJson<R extends PreferenceRow> = { -readonly [K in keyof PreferenceColumns]: R[PreferenceColumns[K]] };

/** Stored preferences (a row's snake_case columns, typed as in the row) with camelCase keys. */
export function preferencesJson<R extends PreferenceRow>(row: R): PreferencesJson<R> {
  const entries = Object.entries(PREFERENCE_COLUMNS).map(([key, column]) => [key, row[column]]);
  return Object.fromEntries(entries) as PreferencesJson<R>;
}

export type SubscriberStatus = SubscribersTable['status'];
export type SubscriberDeliveryStatus = DeliveryStatus;

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
  async subscribe(
    email: string,
    preferences: Preferences,
    status: 'pending' | 'active',
  ): Promise<{ id: number; status: SubscriberStatus; created: boolean; tokenVersion: number }> {
    return this.db.transaction().execute(async (trx) => {
      const inserted = await trx
        .insertInto('subscribers')
        .values({ email, status, confirmed_at: status === 'active' ? now : null })
        .onConflict((oc) => oc.column('email').doNothing())
        .returning(['id', 'status', 'token_version as tokenVersion'])
        .executeTakeFirst();
      const existing = inserted
        ? undefined
        : await trx
            .selectFrom('subscribers')
            .select(['id', 'status', 'token_version as tokenVersion'])
            .where('email', '=', email)
            .executeTakeFirstOrThrow();
      const subscriber = inserted ? { ...inserted, created: true } : { ...existing!, created: false };
      if (subscriber.status === 'unsubscribed' && status === 'pending') {
        await trx
          .updateTable('subscribers')
          .set({ status: 'pending' })
          .where('id', '=', subscriber.id)
          .where('status', '=', 'unsubscribed')
          .execute();
        subscriber.status = 'pending';
      }
      if (subscriber.created || subscriber.status === 'pending' || status === 'active') {
        const row = {
          topics: preferences.topics,
          frequency: preferences.frequency,
          send_hour: preferences.sendHour ?? 8,
          time_zone: preferences.timeZone ?? 'UTC',
          min_upvotes: preferences.minUpvotes ?? 0,
          max_papers: preferences.maxPapers ?? 10,
          // Lists not given keep what the reader set (a re-subscription through the form has none).
          ...(preferences.followedAuthors ? { followed_authors: preferences.followedAuthors } : {}),
          ...(preferences.keywords ? { keywords: preferences.keywords } : {}),
          ...(preferences.negativeKeywords ? { negative_keywords: preferences.negativeKeywords } : {}),
        };
        await trx
          .insertInto('subscriber_preferences')
          .values({ subscriber_id: subscriber.id, ...row })
          .onConflict((oc) => oc.column('subscriber_id').doUpdateSet({ ...row, updated_at: now }))
          .execute();
      }
      if (status === 'active' && subscriber.status !== 'active') {
        const updated = await trx
          .updateTable('subscribers')
          .set(activate)
          .where('id', '=', subscriber.id)
          .returning('token_version as tokenVersion')
          .executeTakeFirstOrThrow();
        subscriber.status = 'active';
        subscriber.tokenVersion = updated.tokenVersion;
      }
      return subscriber;
    });
  }

  /** Sets the preferences given (the others stay); false when the subscriber has no preferences row. */
  async updatePreferences(subscriberId: number, preferences: Partial<Preferences>): Promise<boolean> {
    const set: Updateable<SubscriberPreferencesTable> = {};
    for (const [key, column] of Object.entries(PREFERENCE_COLUMNS) as Array<[keyof Preferences, PreferenceColumn]>) {
      const value = preferences[key];
      if (value !== undefined) Object.assign(set, { [column]: value });
    }
    const result = await this.db
      .updateTable('subscriber_preferences')
      .set({ ...set, updated_at: now })
      .where('subscriber_id', '=', subscriberId)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /**
   * Double opt-in: a pending subscriber becomes active. Returns false when there was nothing to
   * confirm. Confirming again after an unsubscription revokes every link mailed before it.
   */
  async confirm(id: number): Promise<boolean> {
    const result = await this.db
      .updateTable('subscribers')
      .set(activate)
      .where('id', '=', id)
      .where('status', '=', 'pending')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /** The version a subscriber's links must carry, and its status; null when there is no such subscriber. */
  async linkState(id: number): Promise<{ tokenVersion: number; status: SubscriberStatus } | null> {
    const row = await this.db
      .selectFrom('subscribers')
      .select(['token_version', 'status'])
      .where('id', '=', id)
      .executeTakeFirst();
    return row ? { tokenVersion: row.token_version, status: row.status } : null;
  }

  /** "Sign out every link": every link mailed so far stops working. Returns the new version (null: no such subscriber). */
  async signOutEverywhere(id: number): Promise<number | null> {
    const row = await this.db
      .updateTable('subscribers')
      .set((eb) => ({ token_version: eb('token_version', '+', 1) }))
      .where('id', '=', id)
      .returning('token_version')
      .executeTakeFirst();
    return row?.token_version ?? null;
  }

  /**
   * Takes one of the address's confirmation mails for the current hour, before the SMTP transaction
   * (atomic: concurrent sends cannot exceed the limit). Only a pending subscriber gets one. The hour
   * starts with the first mail sent, so requests that send nothing never extend it.
   */
  async claimConfirmation(
    id: number,
    perHour: number,
  ): Promise<{ email: string; tokenVersion: number } | { refused: 'limited' | 'not-pending' }> {
    // Raw: a data-modifying CTE read back with the row's state in one statement (atomic under concurrent sends).
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
      SELECT (SELECT email FROM claimed) AS email, token_version AS "tokenVersion", status FROM subscribers WHERE id = ${id}`.execute(
      this.db,
    );
    const row = rows[0];
    if (row?.email) return { email: row.email, tokenVersion: row.tokenVersion };
    return { refused: row?.status === 'pending' ? 'limited' : 'not-pending' };
  }

  /** A confirmation the SMTP server did not take (a 4xx before it accepted): its retry may send it. */
  async releaseConfirmation(id: number): Promise<void> {
    await this.db
      .updateTable('subscribers')
      .set((eb) => ({ confirmations_sent: eb.fn('greatest', [eb('confirmations_sent', '-', 1), eb.lit(0)]) }))
      .where('id', '=', id)
      .execute();
  }

  /** Unsubscribes; idempotent. Deliveries planned but not yet claimed are skipped. */
  async unsubscribe(id: number): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('subscribers')
        .set((eb) => ({ status: 'unsubscribed', unsubscribed_at: eb.fn.coalesce('unsubscribed_at', now) }))
        .where('id', '=', id)
        .where('status', '<>', 'bounced')
        .execute();
      await trx
        .updateTable('deliveries')
        .set({ status: 'skipped', finished_at: now, error: 'unsubscribed' })
        .where('subscriber_id', '=', id)
        .where('status', '=', 'planned')
        .execute();
    });
  }

  /** A subscriber's digest preferences; undefined when none were stored. */
  async preferences(subscriberId: number): Promise<SubscriberPreferencesRow | undefined> {
    return this.db
      .selectFrom('subscriber_preferences')
      .selectAll()
      .where('subscriber_id', '=', subscriberId)
      .executeTakeFirst();
  }

  async findByEmail(email: string) {
    return this.db.selectFrom('subscribers').selectAll().where('email', '=', email).executeTakeFirst();
  }

  /** Plans a delivery; a second plan for the same subscriber and period adds nothing. Returns its id if new. */
  async planDelivery(subscriberId: number, periodKey: string): Promise<number | null> {
    const row = await this.db
      .insertInto('deliveries')
      .values({ subscriber_id: subscriberId, period_key: periodKey, status: 'planned' })
      .onConflict((oc) => oc.constraint('deliveries_subscriber_period').doNothing())
      .returning('id')
      .executeTakeFirst();
    return row?.id ?? null;
  }

  /**
   * Claims a planned delivery for sending, only while its subscriber is active. The claim is the
   * commit point: a delivery claimed once is never claimed again, so no digest goes out twice.
   */
  async claimDelivery(
    deliveryId: number,
  ): Promise<{ subscriberId: number; email: string; periodKey: string; tokenVersion: number } | null> {
    const row = await this.db
      .updateTable('deliveries as d')
      .from('subscribers as s')
      .set((eb) => ({ status: 'claimed', claimed_at: now, attempts: eb('d.attempts', '+', 1) }))
      .where('d.id', '=', deliveryId)
      .where('d.status', '=', 'planned')
      .whereRef('s.id', '=', 'd.subscriber_id')
      .where('s.status', '=', 'active')
      .returning(['s.id as subscriberId', 's.email', 'd.period_key as periodKey', 's.token_version as tokenVersion'])
      .executeTakeFirst();
    return row ?? null;
  }

  /**
   * Claims, in one statement, the deliveries of a chunk that are still planned and whose subscriber
   * is active (see `claimDelivery`): those already claimed, finished or no longer wanted are left
   * alone and not returned, so two workers on the same chunk, or a chunk's retry, never claim one
   * delivery twice.
   */
  async claimDeliveries(
    deliveryIds: readonly number[],
  ): Promise<
    Array<{ deliveryId: number; subscriberId: number; email: string; periodKey: string; tokenVersion: number }>
  > {
    if (deliveryIds.length === 0) return [];
    return (
      this.db
        .updateTable('deliveries as d')
        .from('subscribers as s')
        .set((eb) => ({ status: 'claimed', claimed_at: now, attempts: eb('d.attempts', '+', 1) }))
        // Raw: one bigint[] parameter, whatever the chunk's size.
        .where('d.id', '=', (eb) => eb.fn.any(sql<number[]>`${[...deliveryIds]}::bigint[]`))
        .where('d.status', '=', 'planned')
        .whereRef('s.id', '=', 'd.subscriber_id')
        .where('s.status', '=', 'active')
        .returning([
          'd.id as deliveryId',
          's.id as subscriberId',
          's.email',
          'd.period_key as periodKey',
          's.token_version as tokenVersion',
        ])
        .execute()
    );
  }

  /** A permanent SMTP failure: counted, and at `limit` the subscriber is marked bounced (no more mail). */
  async recordHardBounce(subscriberId: number, limit: number): Promise<boolean> {
    const row = await this.db
      .updateTable('subscribers')
      .set((eb) => {
        const atLimit = eb(eb('hard_bounces', '+', 1), '>=', limit);
        return {
          hard_bounces: eb('hard_bounces', '+', 1),
          status: eb.case().when(atLimit).then(eb.val<SubscriberStatus>('bounced')).else(eb.ref('status')).end(),
          bounced_at: eb.case().when(atLimit).then(now).else(eb.ref('bounced_at')).end(),
        };
      })
      .where('id', '=', subscriberId)
      .returning('status')
      .executeTakeFirst();
    return row?.status === 'bounced';
  }

  async deliveryStatuses(deliveryIds: readonly number[]): Promise<Map<number, SubscriberDeliveryStatus>> {
    if (deliveryIds.length === 0) return new Map();
    const rows = await this.db
      .selectFrom('deliveries')
      .select(['id', 'status'])
      .where('id', 'in', [...deliveryIds])
      .execute();
    return new Map(rows.map((r) => [r.id, r.status]));
  }

  async list() {
    return this.db
      .selectFrom('subscribers as s')
      .leftJoin('subscriber_preferences as p', 'p.subscriber_id', 's.id')
      .select([
        's.id',
        's.email',
        's.status',
        's.created_at',
        's.confirmed_at',
        'p.topics',
        'p.frequency',
        'p.send_hour',
        'p.time_zone',
        'p.min_upvotes',
        'p.max_papers',
        'p.followed_authors',
        'p.keywords',
        'p.negative_keywords',
      ])
      .orderBy('s.id')
      .execute();
  }

  /** A temporary SMTP failure before the server accepted the message: the delivery may be claimed again. */
  async releaseDelivery(deliveryId: number, error: string): Promise<void> {
    await this.db
      .updateTable('deliveries')
      .set({ status: 'planned', error })
      .where('id', '=', deliveryId)
      .where('status', '=', 'claimed')
      .execute();
  }

  /** `releaseDelivery` for many: claimed deliveries none of whose mails was handed to SMTP. */
  async releaseDeliveries(deliveryIds: readonly number[], error: string): Promise<void> {
    if (deliveryIds.length === 0) return;
    await this.db
      .updateTable('deliveries')
      .set({ status: 'planned', error })
      // Raw: one bigint[] parameter, whatever the chunk's size.
      .where('id', '=', (eb) => eb.fn.any(sql<number[]>`${[...deliveryIds]}::bigint[]`))
      .where('status', '=', 'claimed')
      .execute();
  }

  /** Records why a claimed delivery's outcome is unknown; it stays claimed (never sent twice). */
  async noteDeliveryError(deliveryId: number, error: string): Promise<void> {
    await this.db
      .updateTable('deliveries')
      .set({ error })
      .where('id', '=', deliveryId)
      .where('status', '=', 'claimed')
      .execute();
  }

  /**
   * Finishes claimed deliveries in one statement, each with its own outcome. Only claimed ones
   * change: a delivery finished already (or released) keeps what it has.
   */
  async finishDeliveries(
    outcomes: ReadonlyArray<{
      deliveryId: number;
      status: 'sent' | 'skipped' | 'failed';
      messageId?: string;
      response?: string;
      error?: string;
    }>,
  ): Promise<number> {
    if (outcomes.length === 0) return 0;
    // Raw: a batch update from unnest()ed arrays, one row of values per delivery.
    const result = await sql`
      UPDATE deliveries d SET status = u.status, message_id = u.message_id, smtp_response = u.response,
        error = u.error, finished_at = now()
      FROM unnest(${outcomes.map((o) => o.deliveryId)}::bigint[], ${outcomes.map((o) => o.status)}::text[],
                  ${outcomes.map((o) => o.messageId ?? null)}::text[], ${outcomes.map((o) => o.response ?? null)}::text[],
                  ${outcomes.map((o) => o.error ?? null)}::text[]) AS u(id, status, message_id, response, error)
      WHERE d.id = u.id AND d.status = 'claimed'`.execute(this.db);
    return Number(result.numAffectedRows ?? 0);
  }

  async finishDelivery(
    deliveryId: number,
    outcome: { status: 'sent' | 'skipped' | 'failed'; messageId?: string; response?: string; error?: string },
  ): Promise<void> {
    await this.db
      .updateTable('deliveries')
      .set({
        status: outcome.status,
        message_id: outcome.messageId ?? null,
        smtp_response: outcome.response ?? null,
        error: outcome.error ?? null,
        finished_at: now,
      })
      .where('id', '=', deliveryId)
      .execute();
  }
}
