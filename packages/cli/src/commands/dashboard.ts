import type { Config } from '@paperboy/config';
import { createDb, DashboardRepository } from '@paperboy/db';
import { subcommand, UsageError } from '../args.js';
import { checkDatabase } from '../run-ingest.js';

export async function dashboardCommand(config: Config, positionals: string[], values: { full?: boolean }) {
  const [given, ...extra] = positionals;
  const action = subcommand('dashboard', given, ['refresh', 'status'] as const);
  if (extra.length) throw new UsageError(`dashboard: unexpected ${extra.join(' ')}`, 'dashboard');
  if (action === 'status' && values.full) throw new UsageError('dashboard: --full goes with refresh', 'dashboard');
  const db = createDb(config.databaseUrl, { max: 1 });
  try {
    await checkDatabase(db);
    const dashboard = new DashboardRepository(db);
    if (action === 'refresh') return await dashboard.refresh({ full: values.full === true });
    return { refreshes: await dashboard.refreshes(), pendingDays: await dashboard.pendingDays() };
  } finally {
    await db.destroy();
  }
}
