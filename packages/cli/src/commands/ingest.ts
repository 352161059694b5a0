import type { Config } from '@paperboy/config';
import type { Logger } from '@paperboy/logger';
import { getAdapter } from '@paperboy/sources';
import { loadSourcesFile } from '@paperboy/sources-file';
import { UsageError } from '../args.js';
import { pacingByHost, pacingWarning, progressRenderer } from '../progress.js';
import { type IngestSummary, runIngest } from '../run-ingest.js';

export async function ingest(
  config: Config,
  source: string | undefined,
  urls: string[] | undefined,
  logger: Logger,
): Promise<IngestSummary> {
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
    if (parsed.username || parsed.password)
      throw new UsageError('ingest: URLs with credentials (user:password@) are not accepted', 'ingest');
  }
  // Said before the run starts: the politeness limits alone will make it take this long.
  const sources = loadSourcesFile(config.sourcesPath);
  const warning = pacingWarning(
    pacingByHost(urls, (url) => sources.politenessFor(url)),
    sources.path,
  );
  if (warning) process.stderr.write(`${warning}\n`);
  const progress = progressRenderer(process.stderr, urls.length);
  try {
    return await runIngest(config, source, urls, {
      logger,
      processes: config.processes,
      onPageDone: (entries) => progress.pageDone(entries),
    });
  } finally {
    progress.finish();
  }
}

export function ingestFailed(summary: IngestSummary): boolean {
  return summary.pagesFailed > 0 || summary.errors.length > 0;
}
