import { createTestDatabase, type TestDatabase } from '@paperboy/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb } from '../connection.js';
import { LinkSecretRepository } from './link-secret.repository.js';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => t?.drop());

describe('LinkSecretRepository', () => {
  it('generates one random secret on first use; concurrent first boots on separate connections agree', async () => {
    // Separate pools stand for separate processes (api, notifier, CLI) booting at once on an empty table.
    const pools = Array.from({ length: 4 }, () => createDb(t.url, { max: 2 }));
    try {
      const secrets = await Promise.all(
        pools.flatMap((db) => [
          new LinkSecretRepository(db).loadOrCreate(),
          new LinkSecretRepository(db).loadOrCreate(),
        ]),
      );
      expect(new Set(secrets).size).toBe(1);
      const secret = secrets[0]!;
      expect(Buffer.from(secret, 'base64url')).toHaveLength(32);
      expect(await new LinkSecretRepository(t.db).loadOrCreate()).toBe(secret); // kept, not regenerated
      const rows = await t.db.selectFrom('link_secret').selectAll().execute();
      expect(rows).toHaveLength(1);
    } finally {
      await Promise.all(pools.map((db) => db.destroy()));
    }
  });

  it('a configured secret wins over the database one', async () => {
    const configured = 'k7Qw2xV9pL4mZ8rT1yB6nH3cJ5dF0gS-uE';
    expect(await new LinkSecretRepository(t.db).resolve(configured)).toBe(configured);
    expect(await new LinkSecretRepository(t.db).resolve(undefined)).toBe(
      await new LinkSecretRepository(t.db).loadOrCreate(),
    );
  });

  it('two test databases (two deployments) get different secrets', async () => {
    const other = await createTestDatabase();
    try {
      expect(await new LinkSecretRepository(other.db).loadOrCreate()).not.toBe(
        await new LinkSecretRepository(t.db).loadOrCreate(),
      );
    } finally {
      await other.drop();
    }
  });
});
