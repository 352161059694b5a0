import type { Config } from '@paperboy/config';
import { createDb, listSources, type SourceReport } from '@paperboy/db';
import { listAdapters } from '@paperboy/sources';
import { loadSourcesFile } from '@paperboy/sources-file';

export async function sourcesReport(config: Config): Promise<SourceReport[]> {
  const file = loadSourcesFile(config.sourcesPath);
  const db = createDb(config.databaseUrl, { max: 1 });
  try {
    // The one listing /api/sources and the dashboard page show too.
    return await listSources(db, {
      configured: file.sources,
      unstoredGraceMs: config.reconcileGraceMs,
      adapterIds: new Set(listAdapters().map((a) => a.id)),
    });
  } finally {
    await db.destroy();
  }
}

export function formatSourcesTable(reports: SourceReport[]): string {
  const rows = reports.map((r) => [
    r.id,
    r.enabled || !r.configured ? r.schedule : 'disabled',
    r.lastCrawlAt
      ? `${r.lastCrawlAt} ${r.lastOutcome}${r.lastStatus ? ` ${r.lastStatus}` : ''}${r.lastEntries !== null ? `, ${r.lastEntries} entries` : ''}`
      : '-',
    r.lastSuccessAt ?? '-',
    (r.reason ? `${r.health}: ${r.reason}` : r.health) +
      (r.unstoredBatches ? ` (${r.unstoredBatches} batches not stored)` : ''),
  ]);
  const header = ['SOURCE', 'SCHEDULE', 'LAST CRAWL', 'LAST SUCCESS', 'HEALTH'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [header, ...rows]
    .map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  '))
    .join('\n');
}
