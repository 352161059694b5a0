import { createDb, type Db, ensureDatabase, migrateToLatest } from '@paperboy/db';
import { dropDatabase, withDatabase } from '@paperboy/test-utils';

/**
 * A migrated benchmark database `name` on the server of `baseUrl`: dropped and created anew,
 * or, with `keep`, reused when it exists (the dashboard benchmark's slow-to-generate data).
 */
export async function freshDatabase(
  baseUrl: string,
  name: string,
  options: { max: number; keep?: boolean },
): Promise<{ url: string; db: Db }> {
  if (!options.keep) await dropDatabase(withDatabase(baseUrl, 'postgres'), name);
  const url = withDatabase(baseUrl, name);
  await ensureDatabase(url);
  const db = createDb(url, { max: options.max });
  await migrateToLatest(db);
  return { url, db };
}
