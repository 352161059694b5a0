import type { Config } from '@paperboy/config';
import { createDb, DashboardRepository } from '@paperboy/db';
import { subcommand, UsageError, type CommandSpec } from '../args.js';
import { checkDatabase } from '../run-ingest.js';

export const dashboardSpec: CommandSpec = {
  name: 'dashboard',
  summary: 'Refresh the precomputed dashboard views now, or show when they were last refreshed.',
  usage: 'dashboard refresh [--full] | dashboard status',
  positionals: '<refresh|status>',
  options: { full: { type: 'boolean', description: 'recompute every day, not only the days that changed' } },
  details:
    'dashboard.papers_per_day, papers_per_topic_day, topic_trends and trending_now read precomputed rows. The processor refreshes\n' +
    'them every PAPERBOY_DASHBOARD_REFRESH_SECONDS (only the days that changed) and rebuilds them nightly.\n' +
    '`refresh` does it at once, in this process, and prints {mode, durationMs, trendDays, newPaperDays,\n' +
    'trendingPapers, trendingRecomputed} (days and trending rows recomputed; candidates after it);\n' +
    'it waits for a refresh already running elsewhere. `status` prints the latest refresh of each kind and the\n' +
    'days waiting for the next one, as one JSON line.',
};

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
