import type { Config } from '@paperboy/config';
import type { Logger } from '@paperboy/logger';
import { getAdapter, listAdapters } from '@paperboy/sources';
import { UsageError, type CommandSpec } from '../args.js';
import { runIngest, type IngestSummary } from '../run-ingest.js';

export const ingestSpec: CommandSpec = {
  name: 'ingest',
  summary: 'Fetch listing pages, run them through the real queue and workers, wait for every job, print a JSON summary.',
  usage: 'ingest --source <adapter> --url <url> [--url <url> ...]',
  options: {
    source: { type: 'string', description: 'adapter that reads the pages (listed under Adapters)', valueName: 'adapter' },
    url: { type: 'string', multiple: true, description: 'listing page to fetch (repeatable)', valueName: 'url' },
  },
  details: '',
};

export function ingestDetails(): string {
  return (
    'Adapters:\n' +
    listAdapters()
      .map((a) => `  ${a.id.padEnd(12)} ${a.description}\n  ${''.padEnd(12)} e.g. ${a.exampleUrls[0] ?? ''}`)
      .join('\n') +
    '\n\nThe last line of stdout is one JSON object: pages, pagesFailed, entries, new, updated, merged, failed,\n' +
    'rejected, unchangedPages, unchangedBatches, warnings, errors, durationMs.\n' +
    'Exit status 1 when a page could not be fetched or yielded no entries, or a batch could not be stored.'
  );
}

export async function ingest(config: Config, source: string | undefined, urls: string[] | undefined, logger: Logger): Promise<IngestSummary> {
  if (!source) throw new UsageError('ingest: --source is required', 'ingest');
  try {
    getAdapter(source);
  } catch (error) {
    throw new UsageError(`ingest: ${(error as Error).message}`, 'ingest');
  }
  if (!urls?.length) throw new UsageError('ingest: at least one --url is required', 'ingest');
  for (const url of urls) {
    let parsed: URL | null = null;
    try {
      parsed = new URL(url);
    } catch {
      /* reported below */
    }
    if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
      throw new UsageError(`ingest: ${JSON.stringify(url)} is not an http(s) URL`, 'ingest');
    }
    // Credentials would end up in logs and in the database: refuse them before anything is stored.
    if (parsed.username || parsed.password) throw new UsageError('ingest: URLs with credentials (user:password@) are not accepted', 'ingest');
  }
  return runIngest(config, source, urls, { logger });
}

export function ingestFailed(summary: IngestSummary): boolean {
  return summary.pagesFailed > 0 || summary.errors.length > 0;
}
