import { sql, type Kysely } from 'kysely';

// Frozen in time: this file never imports application code.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('subscribers')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    // Lower-cased, trimmed: one subscriber per address however it is typed.
    .addColumn('email', 'text', (c) => c.notNull().unique())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status IN ('pending', 'active', 'unsubscribed', 'bounced')`))
    .addColumn('hard_bounces', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('confirmed_at', 'timestamptz')
    .addColumn('unsubscribed_at', 'timestamptz')
    .addColumn('bounced_at', 'timestamptz')
    .execute();

  await db.schema
    .createTable('subscriber_preferences')
    .addColumn('subscriber_id', 'bigint', (c) => c.primaryKey().references('subscribers.id').onDelete('cascade'))
    .addColumn('topics', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
    .addColumn('frequency', 'text', (c) => c.notNull().check(sql`frequency IN ('daily', 'weekly')`))
    .addColumn('send_hour', 'smallint', (c) => c.notNull().defaultTo(8).check(sql`send_hour BETWEEN 0 AND 23`))
    .addColumn('time_zone', 'text', (c) => c.notNull().defaultTo('UTC'))
    .addColumn('min_upvotes', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('max_papers', 'integer', (c) => c.notNull().defaultTo(10).check(sql`max_papers BETWEEN 1 AND 100`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('deliveries')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('subscriber_id', 'bigint', (c) => c.notNull().references('subscribers.id').onDelete('cascade'))
    .addColumn('period_key', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) =>
      c.notNull().check(sql`status IN ('planned', 'claimed', 'sent', 'skipped', 'failed')`),
    )
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('message_id', 'text')
    .addColumn('smtp_response', 'text')
    .addColumn('error', 'text')
    .addColumn('planned_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('claimed_at', 'timestamptz')
    .addColumn('finished_at', 'timestamptz')
    // One delivery per subscriber and period, whoever plans it and however often.
    .addUniqueConstraint('deliveries_subscriber_period', ['subscriber_id', 'period_key'])
    .execute();
  await sql`CREATE INDEX deliveries_status ON deliveries (status, planned_at)`.execute(db);

  // Papers already sent to a subscriber: a digest never repeats one.
  await db.schema
    .createTable('delivered_papers')
    .addColumn('subscriber_id', 'bigint', (c) => c.notNull().references('subscribers.id').onDelete('cascade'))
    .addColumn('paper_id', 'bigint', (c) => c.notNull().references('papers.id').onDelete('cascade'))
    .addColumn('delivery_id', 'bigint', (c) => c.notNull().references('deliveries.id').onDelete('cascade'))
    .addPrimaryKeyConstraint('delivered_papers_pkey', ['subscriber_id', 'paper_id'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['delivered_papers', 'deliveries', 'subscriber_preferences', 'subscribers']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
