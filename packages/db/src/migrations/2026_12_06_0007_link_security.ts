import { sql, type Kysely } from 'kysely';

// Frozen in time: this file never imports application code.
//
// - link_secret: the HMAC secret of subscriber links when PAPERBOY_SECRET is not set. One row at
//   most (the key is the constant true); it is created on first use by whichever process needs it
//   (INSERT … ON CONFLICT DO NOTHING, then read back), so every process of a deployment shares it
//   and no deployment signs with a secret printed in the source.
// - subscribers.token_version: carried by every link; a link of an older version is refused, so a
//   re-subscription or "sign out every link" revokes every link mailed before. Links minted before
//   this column existed carry no version and count as version 1, the default.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('link_secret')
    .addColumn('id', 'boolean', (c) => c.primaryKey().defaultTo(true).check(sql`id`))
    .addColumn('secret', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema
    .alterTable('subscribers')
    .addColumn('token_version', 'integer', (c) => c.notNull().defaultTo(1).check(sql`token_version >= 1`))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('subscribers').dropColumn('token_version').execute();
  await db.schema.dropTable('link_secret').ifExists().execute();
}
