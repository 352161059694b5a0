import { parseDayOrInstant } from '@paperboy/pipeline';
import { randomBytes } from 'node:crypto';
import type { Config } from '@paperboy/config';
import { ArchiveRepository, createDb, decodeArchivedBody } from '@paperboy/db';
import { loadSourcesFile, type SourcesFile } from '@paperboy/sources-file';
import type { Logger } from '@paperboy/logger';
import { contentJobId } from '@paperboy/queue';
import { createPage, getAdapter, listAdapters } from '@paperboy/sources';
import { UsageError, type CommandSpec } from '../args.js';
import { checkDatabase, collectBatch, emptySummary, withPipeline, type IngestSummary } from '../run-ingest.js';

export const replaySpec: CommandSpec = {
  name: 'replay',
  summary: 'Run archived pages through the current extract, parse, dedupe and classify code again.',
  usage: 'replay [--source <id>] [--since <date>]',
  options: {
    source: { type: 'string', description: 'only pages of this source: a source id (of the sources file, or one with archived pages), or an adapter id for `ingest` pages', valueName: 'id' },
    since: { type: 'string', description: 'only pages fetched on or after this date (YYYY-MM-DD or an ISO time)', valueName: 'date' },
  },
  details:
    'Each page keeps the time it was fetched, so a replay records no new sightings: running it twice changes\n' +
    'nothing the second time. Prints a JSON summary like ingest as its last line. A --source that is not in the\n' +
    'sources file, not an adapter id and has no fetches recorded is a usage error listing the known ids.',
};

export function parseSince(value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const date = parseDayOrInstant(value);
  if (!date) throw new UsageError(`replay: --since ${JSON.stringify(value)} is not a day YYYY-MM-DD or an ISO 8601 time with a zone`, 'replay');
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

export async function replay(config: Config, options: { source?: string; since?: Date }, logger: Logger, batchSize: number): Promise<IngestSummary> {
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
      const configured = sources.sources.find((s) => s.id === page.source);
      let entries;
      let adapterId: string | undefined;
      try {
        const adapter = getAdapter(page.adapter ?? configured?.adapter ?? page.source);
        adapterId = adapter.id;
        const body = await decodeArchivedBody(page);
        const result = adapter.extract(createPage(page.finalUrl ?? page.url, body.toString('utf8'), page.contentType ?? undefined), configured?.options);
        entries = result.entries;
        summary.warnings.push(...result.warnings.map((w) => (w.includes(page.url) ? w : `${page.url}: ${w}`))); // as ingest: each names its page
      } catch (error) {
        summary.pagesFailed++;
        summary.errors.push({ url: page.url, error: (error as Error).message });
        continue;
      }
      summary.entries += entries.length;
      const jobs = [];
      for (let i = 0; i * batchSize < entries.length; i++) {
        jobs.push({
          // A job id per replay run: each run really re-processes, and writes nothing twice.
          jobId: contentJobId('replay', run, page.fetchId, i),
          data: {
            source: page.source,
            ...(adapterId !== undefined ? { adapter: adapterId } : {}),
            listing: page.url,
            fetchId: page.fetchId,
            seenAt: new Date(page.fetchedAt).toISOString(),
            contentHash: page.contentHash,
            chunk: i,
            entries: entries.slice(i * batchSize, (i + 1) * batchSize),
          },
        });
      }
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
