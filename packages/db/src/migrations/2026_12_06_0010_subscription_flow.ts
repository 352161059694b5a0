import { sql, type Kysely } from 'kysely';

// Frozen in time: this file never imports application code.
// The per-address limit counts confirmation mails actually sent (not requests): a window start and
// the count of mails sent in it, updated atomically by the send job before its SMTP transaction.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('subscribers')
    .addColumn('confirmations_sent', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('confirmation_window_at', 'timestamptz')
    .addColumn('confirmation_sent_at', 'timestamptz')
    .execute();
  await sql`COMMENT ON COLUMN subscribers.confirmations_sent IS 'confirmation mails sent since confirmation_window_at (the per-address limit)'`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('subscribers').dropColumn('confirmation_sent_at').dropColumn('confirmation_window_at').dropColumn('confirmations_sent').execute();
}
