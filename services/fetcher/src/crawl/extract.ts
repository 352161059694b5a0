import { type ArchivedPage, decodeArchivedBody } from '@paperboy/db';
import { type FetchedPage, mediaType, UnexpectedContentTypeError } from '@paperboy/http';
import { UnrecoverableError } from '@paperboy/queue';
import { createPage, type ExtractResult, getAdapter, type SourceAdapter } from '@paperboy/sources';
import type { SourceDefinition, SourcesFile } from '@paperboy/sources-file';
import type { Crawl } from './begin.js';
import type { CrawlDeps } from './deps.js';
import { fetchFacts } from './fetch.js';

/**
 * The adapter that reads a page: the one its crawl (or fetch) names, else its configured source's,
 * else the adapter whose id is the source (an `ingest` page). Throws when there is none.
 */
export function adapterFor(
  page: { source: string; adapter?: string | null | undefined },
  configured: SourceDefinition | undefined,
): SourceAdapter {
  return getAdapter(page.adapter ?? configured?.adapter ?? page.source);
}

/** Media types an adapter's declared ones also cover (servers label JSON and XML loosely). */
const aliases: Record<string, string[]> = {
  'text/html': ['text/html', 'application/xhtml+xml'],
  'application/json': ['application/json', 'text/json', 'text/plain'],
  'application/xml': ['application/xml', 'text/xml', 'application/rss+xml', 'application/atom+xml'],
};

export function accepts(adapter: SourceAdapter, contentType: string): boolean {
  const type = mediaType(contentType);
  return adapter.accepts.some((declared) => (aliases[declared] ?? [declared]).includes(type));
}

/**
 * Runs the adapter over a body (fetched now, or read back from the archive). The page is made from
 * the bytes: an adapter that reads only part of them (hf-papers) never decodes the whole body.
 * Throws what the adapter throws.
 */
export function extractEntries(
  adapter: SourceAdapter,
  page: { url: string; body: Buffer; contentType: string | null },
  configured: SourceDefinition | undefined,
): ExtractResult {
  const parsed = createPage(page.url, page.body, page.contentType ?? undefined);
  return adapter.extract(parsed, configured?.options);
}

/**
 * Extract from the archive: an archived page read again by its adapter (`replay`, the reconciler).
 * Throws when no adapter reads it or the adapter cannot.
 */
export async function extractArchived(
  page: ArchivedPage,
  sources?: SourcesFile,
): Promise<{ adapter: SourceAdapter; extracted: ExtractResult }> {
  const configured = sources?.sources.find((s) => s.id === page.source);
  const adapter = adapterFor(page, configured);
  const body = await decodeArchivedBody(page);
  const extracted = extractEntries(
    adapter,
    { url: page.finalUrl ?? page.url, body, contentType: page.contentType },
    configured,
  );
  return { adapter, extracted };
}

/**
 * The extract stage of a crawl: a body of a type its adapter does not read, or one the adapter
 * cannot read, ends the crawl for good, recorded as failed and suspect.
 */
export async function extractPage(deps: CrawlDeps, crawl: Crawl, page: FetchedPage): Promise<ExtractResult> {
  const { adapter } = crawl;
  const fail = async (error: Error): Promise<never> => {
    const fetch = fetchFacts(crawl, page);
    const { message } = error;
    await crawl.recorder.record(
      { status: page.status, outcome: 'failed', error: message, suspect: true, suspectReason: message },
      fetch,
    );
    throw new UnrecoverableError(error.message);
  };
  if (!accepts(adapter, page.contentType)) {
    return fail(new UnexpectedContentTypeError(page.finalUrl, page.contentType, adapter.accepts));
  }
  let extracted: ExtractResult;
  try {
    const body = { url: page.finalUrl, body: page.body, contentType: page.contentType };
    extracted = extractEntries(adapter, body, crawl.configured);
  } catch (error) {
    return fail(new Error(`${adapter.id} could not read ${page.finalUrl}: ${(error as Error).message}`));
  }
  deps.metrics?.entries.inc({ source: crawl.payload.source }, extracted.entries.length);
  return extracted;
}
