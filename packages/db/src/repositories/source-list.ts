import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';
import { CrawlRepository, healthOfSourceRow, type SourceHealthRow } from './crawl.repository.js';

/** A source of the sources file (a `SourceDefinition` of @paperboy/sources-file), as the listing needs it. */
export interface ConfiguredSource {
  id: string;
  adapter: string;
  enabled: boolean;
  schedule: { every?: number | undefined; cron?: string | undefined; tz?: string | undefined; jitterMs: number };
  urls: readonly string[];
}

/** One source and its health: what `paperboy sources`, `/api/sources` and the dashboard page show. */
export interface SourceReport extends Omit<SourceHealthRow, 'source'> {
  id: string;
  /** The adapter of a source of the file; for another, its id when that is an adapter's (ingest, demo), else null. */
  adapter: string | null;
  /** In the sources file (false: only crawls recorded under this id). */
  configured: boolean;
  enabled: boolean;
  schedule: string;
  urls: readonly string[];
  health: ReturnType<typeof healthOfSourceRow>['health'];
  reason: string | null;
}

/**
 * The sources and their health, the one definition every view of them uses: the sources of the
 * file in its order (those never crawled as "never crawled"), then every other source with crawls
 * recorded, by id. `unstoredGraceMs` is PAPERBOY_RECONCILE_GRACE_MINUTES; `adapterIds` names the
 * adapters, so that a source crawled under an adapter's id (ingest, demo) shows that adapter.
 */
export async function listSources(
  db: Kysely<Database>,
  options: { configured: readonly ConfiguredSource[]; unstoredGraceMs: number; adapterIds?: ReadonlySet<string> },
): Promise<SourceReport[]> {
  const rows = await new CrawlRepository(db).sourceHealth({ unstoredGraceMs: options.unstoredGraceMs });
  return sourceListing(options.configured, rows, options.adapterIds ?? new Set());
}

/** `listSources` from the rows of `CrawlRepository.sourceHealth` already read. */
export function sourceListing(
  configured: readonly ConfiguredSource[],
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

/** A schedule in words: `every 30m ±5m`, `cron 0 6 * * * Europe/Paris`. */
const describeSchedule = (s: ConfiguredSource['schedule']) => {
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
    lastSuspect: row?.lastSuspect ?? false,
    lastSuspectReason: row?.lastSuspectReason ?? null,
    lastError: row?.lastError ?? null,
    ...healthOfSourceRow(row),
    crawls24h: row?.crawls24h ?? 0,
    failures24h: row?.failures24h ?? 0,
    new24h: row?.new24h ?? 0,
    unstoredBatches: row?.unstoredBatches ?? 0,
  };
}
