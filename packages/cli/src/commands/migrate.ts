import type { Config } from '@paperboy/config';
import { createDb, ensureDatabase, migrateToLatest } from '@paperboy/db';

export async function migrate(config: Config): Promise<{ database: string; created: boolean; applied: string[] }> {
  const { created, name } = await ensureDatabase(config.databaseUrl);
  const db = createDb(config.databaseUrl, { max: 1 });
  try {
    const result = await migrateToLatest(db);
    return {
      database: name,
      created,
      applied: (result.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName),
    };
  } finally {
    await db.destroy();
  }
}
