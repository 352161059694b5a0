import { type Db, PaperRepository } from '@paperboy/db';
import type { Logger } from '@paperboy/logger';
import { jobLogger } from '@paperboy/logger';
import type { Metrics } from '@paperboy/metrics';
import { clampRank, type NormalizedEntry, normalizeEntry } from '@paperboy/pipeline';
import {
  type IngestEntriesPayload,
  type IngestEntriesResult,
  type Job,
  type Queues,
  quickRawEntryCheck,
  type RawEntryInput,
  rawEntrySchema,
} from '@paperboy/queue';
import { type Rejected, type StoreSettings, storeBatch } from '../store-batch.js';

export interface IngestHandlerDeps extends StoreSettings {
  db: Db;
  logger: Logger;
  metrics?: Metrics;
  /** Where a batch that created papers asks for an enrichment sweep at once (else the scheduled one finds them). */
  queues?: Queues;
}

/** One sweep waiting is enough: however many batches ask, they share it until it starts. */
export const ENRICH_DUE_NOW = 'enrich-due-now';

/** Splits a payload's raw entries into normalized ones and rejected ones (kept with their raw data). */
export function parseEntries(raw: readonly unknown[]): { entries: NormalizedEntry[]; rejected: Rejected[] } {
  const entries: NormalizedEntry[] = [];
  const rejected: Rejected[] = [];
  raw.forEach((item, index) => {
    // An entry as the adapters produce it passes the quick check and is taken as it is; anything
    // else goes through the schema (which passes whatever the quick check passes, unchanged).
    const parsed = quickRawEntryCheck(item)
      ? ({ success: true, data: item as RawEntryInput } as const)
      : rawEntrySchema.safeParse(item);
    if (!parsed.success) {
      const rank =
        typeof (item as { rank?: unknown })?.rank === 'number'
          ? clampRank((item as { rank: number }).rank)
          : -(index + 1);
      const problem = parsed.error.issues[0];
      rejected.push({
        rank,
        reason: `invalid entry: ${problem?.path.join('.') || '(entry)'} ${problem?.message ?? ''}`.trim(),
        raw: item ?? null,
      });
      return;
    }
    const result = normalizeEntry(parsed.data);
    if (result.ok) entries.push(result.entry);
    else rejected.push({ rank: clampRank(parsed.data.rank), reason: result.reason, raw: item });
  });
  return { entries, rejected };
}

/**
 * ingest-entries: parse, dedupe, classify and store one batch of raw entries.
 * Throws (and so retries) on any database error; bad entries are recorded, not thrown.
 */
export function createIngestHandler(deps: IngestHandlerDeps) {
  const repository = new PaperRepository(deps.db);
  return async (payload: IngestEntriesPayload, job: Job): Promise<IngestEntriesResult> => {
    const log = jobLogger(deps.logger, job);
    const started = performance.now();
    const { entries, rejected } = parseEntries(payload.entries);
    const parsedMs = performance.now() - started;
    for (const r of rejected) log.warn({ rank: r.rank, reason: r.reason }, 'entry rejected');
    const result = await storeBatch(
      deps.db,
      repository,
      {
        source: payload.source,
        listing: payload.listing,
        seenAt: new Date(payload.seenAt),
        fetchId: payload.fetchId,
        ...(payload.adapter !== undefined ? { adapter: payload.adapter } : {}),
        ...(payload.crawlId !== undefined ? { crawl: { id: payload.crawlId, chunk: payload.chunk } } : {}),
      },
      entries,
      rejected,
      deps,
    );
    if (result.new > 0 && deps.queues && (deps.enrich?.length ?? 0) > 0) {
      // The papers are marked due in the batch's transaction: this only makes the sweep come sooner.
      // Should Redis refuse it, the scheduled sweep (every minute) still finds them.
      await deps.queues
        .addBulk('enrich-due', [{ data: {}, deduplicationId: ENRICH_DUE_NOW }])
        .catch((error: unknown) => log.warn({ err: (error as Error).message }, 'enrichment sweep not enqueued'));
    }
    deps.metrics?.papersNew.inc({ source: payload.source }, result.new);
    deps.metrics?.papersMerged.inc({ source: payload.source }, result.merged);
    const durationMs = Math.round(performance.now() - started);
    log.info(
      {
        listing: payload.listing,
        chunk: payload.chunk,
        ...result,
        parseMs: Math.round(parsedMs * 10) / 10,
        durationMs,
      },
      'batch stored',
    );
    return result;
  };
}
