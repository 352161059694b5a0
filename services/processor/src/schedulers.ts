import type { EnrichKind } from '@paperboy/db';
import type { Queues, Schedule } from '@paperboy/queue';

export const DASHBOARD_REFRESH_SCHEDULER = 'dashboard-refresh';
export const DASHBOARD_REBUILD_SCHEDULER = 'dashboard-rebuild-nightly';
export const ENRICH_DUE_SCHEDULER = 'enrich-due';
/** How often the papers due for enrichment are swept into enrich-papers jobs. */
export const ENRICH_DUE_EVERY_MS = 60_000;

/**
 * The processor's schedules. The dashboard refreshes: an incremental one every `everySeconds` (only
 * the days that changed) and a full rebuild nightly at 03:37 UTC, which also catches any change the
 * day marks missed. With enrichment on (`enrich`: PAPERBOY_ENRICH's kinds), the enrichment sweep
 * (`enrich-due`) every minute: papers marked due (new ones, refreshes, and those whose job Redis
 * lost) become enrich-papers jobs.
 */
export function dashboardSchedules(everySeconds: number, enrich: readonly EnrichKind[] = []): Schedule[] {
  return [
    { name: 'refresh-dashboard', id: DASHBOARD_REFRESH_SCHEDULER, repeat: { every: everySeconds * 1000 }, payload: {} },
    {
      name: 'refresh-dashboard',
      id: DASHBOARD_REBUILD_SCHEDULER,
      repeat: { pattern: '37 3 * * *', tz: 'UTC' },
      payload: { full: true },
    },
    ...(enrich.length > 0
      ? [
          {
            name: 'enrich-due',
            id: ENRICH_DUE_SCHEDULER,
            repeat: { every: ENRICH_DUE_EVERY_MS },
            payload: {},
          } satisfies Schedule,
        ]
      : []),
  ];
}

/**
 * Declares the processor's schedules (and removes the enrichment sweep when enrichment is off).
 * Upserts: safe on every boot and from several processes.
 */
export async function syncDashboardSchedulers(
  queues: Queues,
  everySeconds: number,
  enrich: readonly EnrichKind[] = [],
): Promise<string[]> {
  if (enrich.length === 0) await queues.unschedule('enrich-due', ENRICH_DUE_SCHEDULER);
  return queues.declareSchedules(dashboardSchedules(everySeconds, enrich));
}
