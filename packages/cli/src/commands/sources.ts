import type { Config } from '@paperboy/config';
import { CrawlRepository, createDb, healthOfSourceRow, type SourceHealthRow } from '@paperboy/db';
import { listAdapters } from '@paperboy/sources';
import { loadSourcesFile, type SourceDefinition } from '@paperboy/sources-file';

export interface SourceReport {
  id: string;
  /** The adapter of a source of the file; for another, its id when that is an adapter's (ingest, demo), else null. */
  adapter: string | null;
  /** In the sources file (false: only crawls recorded under this id). */
  configured: boolean;
  enabled: boolean;
  schedule: string;
  urls: string[];
  lastCrawlAt: string | null;
  lastOutcome: string | null;
  lastStatus: number | null;
  lastEntries: number | null;
  lastSuccessAt: string | null;
  health: string;
  reason: string | null;
  crawls24h: number;
  failures24h: number;
  new24h: number;
  /** Batches enqueued more than PAPERBOY_RECONCILE_GRACE_MINUTES ago (last 7 days) and not stored: lost or failed, until reconcile-crawls repairs them. */
  unstoredBatches: number;
}

const describeSchedule = (s: {
  every?: number | undefined;
  cron?: string | undefined;
  tz?: string | undefined;
  jitterMs: number;
}) => {
  const base = s.cron ? `cron ${s.cron}${s.tz ? ` ${s.tz}` : ''}` : `every ${formatMs(s.every!)}`;
  return s.jitterMs ? `${base} ±${formatMs(s.jitterMs)}` : base;
};

function formatMs(ms: number): string {
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

export async function sourcesReport(config: Config): Promise<SourceReport[]> {
  const file = loadSourcesFile(config.sourcesPath);
  const db = createDb(config.databaseUrl, { max: 1 });
  try {
    // The query /api/sources and the dashboard read too: one notion of a source's crawls everywhere.
    const rows = await new CrawlRepository(db).sourceHealth({ unstoredGraceMs: config.reconcileGraceMs });
    return reportSources(file.sources, rows, new Set(listAdapters().map((a) => a.id)));
  } finally {
    await db.destroy();
  }
}

/** The sources of the file in its order, then every other source with crawls recorded, by id. */
export function reportSources(
  configured: readonly SourceDefinition[],
  rows: readonly SourceHealthRow[],
  adapterIds: ReadonlySet<string>,
): SourceReport[] {
  const health = new Map(rows.map((r) => [r.source, r]));
  const inFile = new Set(configured.map((s) => s.id));
  const fromFile = configured.map((s) =>
    report(
      s.id,
      {
        adapter: s.adapter,
        configured: true,
        enabled: s.enabled,
        schedule: describeSchedule(s.schedule),
        urls: s.urls,
      },
      health.get(s.id),
    ),
  );
  const others = rows
    .filter((r) => !inFile.has(r.source))
    .map((r) =>
      report(
        r.source,
        {
          adapter: adapterIds.has(r.source) ? r.source : null,
          configured: false,
          enabled: false,
          schedule: 'not in the sources file',
          urls: [],
        },
        r,
      ),
    );
  return [...fromFile, ...others.sort((a, b) => a.id.localeCompare(b.id))];
}

function report(
  id: string,
  source: Pick<SourceReport, 'adapter' | 'configured' | 'enabled' | 'schedule' | 'urls'>,
  row: SourceHealthRow | undefined,
): SourceReport {
  return {
    id,
    ...source,
    lastCrawlAt: row?.lastCrawlAt ?? null,
    lastOutcome: row?.lastOutcome ?? null,
    lastStatus: row?.lastStatus ?? null,
    lastEntries: row?.lastEntries ?? null,
    lastSuccessAt: row?.lastSuccessAt ?? null,
    ...healthOfSourceRow(row),
    crawls24h: row?.crawls24h ?? 0,
    failures24h: row?.failures24h ?? 0,
    new24h: row?.new24h ?? 0,
    unstoredBatches: row?.unstoredBatches ?? 0,
  };
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
