import { randomBytes } from 'node:crypto';
import type { Config } from '@paperboy/config';
import { ArchiveRepository, createDb } from '@paperboy/db';
import { extractArchived, ingestBatches } from '@paperboy/fetcher';
import type { Logger } from '@paperboy/logger';
import { parseDayOrInstant } from '@paperboy/pipeline';
import { contentJobId } from '@paperboy/queue';
import { listAdapters } from '@paperboy/sources';
import { loadSourcesFile, type SourcesFile } from '@paperboy/sources-file';
import { UsageError } from '../args.js';
import { checkDatabase, collectBatch, emptySummary, type IngestSummary, withPipeline } from '../run-ingest.js';

export function parseSince(value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const date = parseDayOrInstant(value);
  if (!date)
    throw new UsageError(
      `replay: --since ${JSON.stringify(value)} is not a day YYYY-MM-DD or an ISO 8601 time with a zone`,
      'replay',
    );
  return date;
}

/**
 * Refuses a --source replay cannot mean. Known: the ids of the sources file, the adapter ids (what
 * `ingest` records its pages under), and every id fetches were recorded under, so a source removed
 * from the sources file since stays replayable.
 */
async function checkReplaySource(config: Config, source: string, sources: SourcesFile): Promise<void> {
  const configured = sources.sources.map((s) => s.id);
  const adapters = listAdapters().map((a) => a.id);
  if (configured.includes(source) || adapters.includes(source)) return;
  const db = createDb(config.databaseUrl, { max: 1 });
  try {
    await checkDatabase(db);
    const archive = new ArchiveRepository(db);
    if (await archive.hasFetchesOf(source)) return;
    const known = [...new Set([...configured, ...adapters, ...(await archive.fetchedSources())])].sort();
    throw new UsageError(
      `replay: unknown source ${JSON.stringify(source)} (not in ${sources.path}, not an adapter id, no pages fetched under it); known: ${known.join(', ')}`,
      'replay',
    );
  } finally {
    await db.destroy();
  }
}

export async function replay(
  config: Config,
  options: { source?: string; since?: Date },
  logger: Logger,
  batchSize: number,
): Promise<IngestSummary> {
  const started = Date.now();
  const sources = loadSourcesFile(config.sourcesPath);
  if (options.source !== undefined) await checkReplaySource(config, options.source, sources);
  return withPipeline(config, { logger, noFetcher: true }, async (pipeline) => {
    const summary = emptySummary(0);
    const run = randomBytes(6).toString('hex');
    const archive = new ArchiveRepository(pipeline.ctx.db);
    const waits: Array<Promise<void>> = [];
    for await (const page of archive.streamArchivedPages(options)) {
      summary.pages++;
      let read: Awaited<ReturnType<typeof extractArchived>>;
      try {
        read = await extractArchived(page, sources);
      } catch (error) {
        summary.pagesFailed++;
        summary.errors.push({ url: page.url, error: (error as Error).message });
        continue;
      }
      const { adapter, extracted } = read;
      summary.warnings.push(...extracted.warnings.map((w) => (w.includes(page.url) ? w : `${page.url}: ${w}`))); // as ingest: each names its page
      summary.entries += extracted.entries.length;
      // No crawl id: a replay is no crawl, and records no batch counts against the page's.
      const origin = {
        source: page.source,
        adapter: adapter.id,
        listing: page.url,
        fetchId: page.fetchId,
        seenAt: new Date(page.fetchedAt),
        contentHash: page.contentHash,
      };
      // A job id per replay run: each run really re-processes, and writes nothing twice.
      const jobs = ingestBatches(origin, extracted.entries, batchSize, (i) =>
        contentJobId('replay', run, page.fetchId, i),
      );
      await pipeline.ctx.queues.addBulk('ingest-entries', jobs);
      for (const job of jobs) waits.push(collectBatch(pipeline, job.jobId, page.url, summary));
      // Bounded memory: wait for a window of batches before reading more pages.
      if (waits.length >= 200) await Promise.all(waits.splice(0));
    }
    await Promise.all(waits);
    summary.durationMs = Date.now() - started;
    return summary;
  });
}
