import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';

/**
 * The HMAC secret of subscriber links when PAPERBOY_SECRET is not set: 32 random bytes generated
 * once per database and kept there, so the api, the notifier and the CLI of one deployment sign
 * and check links alike, and no deployment signs with a value anyone can read in the source.
 */
export class LinkSecretRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /** The configured secret when there is one, else the database's. */
  async resolve(configured: string | undefined): Promise<string> {
    return configured ?? this.loadOrCreate();
  }

  /**
   * The stored secret, created on first use. Processes booting at once each offer a candidate;
   * the first insert wins (ON CONFLICT DO NOTHING) and everyone reads back the same row.
   */
  async loadOrCreate(): Promise<string> {
    const candidate = randomBytes(32).toString('base64url');
    await this.db
      .insertInto('link_secret')
      .values({ id: true, secret: candidate })
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
    const row = await this.db
      .selectFrom('link_secret')
      .select('secret')
      .where('id', '=', true)
      .executeTakeFirstOrThrow();
    return row.secret;
  }
}

/**
 * The link secret, looked up on first use and then kept: a process may start before `migrate` has
 * created the table (services only warn then), so it is not read at boot. A failed look-up is
 * tried again next time.
 */
export function lazyLinkSecret(db: Kysely<Database>, configured: string | undefined): () => Promise<string> {
  let pending: Promise<string> | undefined;
  return () => {
    pending ??= new LinkSecretRepository(db).resolve(configured).catch((error: unknown) => {
      pending = undefined;
      throw error;
    });
    return pending;
  };
}
