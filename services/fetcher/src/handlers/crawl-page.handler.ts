import { PageFetchRepository, type Db } from '@paperboy/db';
import { FetchError, fetchPage, mediaType, UnexpectedContentTypeError, type FetchSettings } from '@paperboy/http';
import { jobLogger, type Logger } from '@paperboy/logger';
import { contentJobId, UnrecoverableError, type CrawlPagePayload, type CrawlPageResult, type Job, type Queues } from '@paperboy/queue';
import { createPage, getAdapter, type SourceAdapter } from '@paperboy/sources';

export interface CrawlHandlerDeps {
  db: Db;
  queues: Queues;
  logger: Logger;
  fetch: Omit<FetchSettings, 'accept'>;
  batchSize: number;
}

/** Media types an adapter's declared ones also cover (servers label JSON and XML loosely). */
const aliases: Record<string, string[]> = {
  'text/html': ['text/html', 'application/xhtml+xml'],
  'application/json': ['application/json', 'text/json', 'text/plain'],
  'application/xml': ['application/xml', 'text/xml', 'application/rss+xml', 'application/atom+xml'],
};

function accepts(adapter: SourceAdapter, contentType: string): boolean {
  const type = mediaType(contentType);
  return adapter.accepts.some((declared) => (aliases[declared] ?? [declared]).includes(type));
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * crawl-page: fetch one listing page, record the fetch, extract raw entries with the source's
 * adapter and enqueue them in batches. Retryable fetch failures throw (BullMQ retries with
 * backoff); permanent ones (4xx, blocked address, wrong content type) fail without retry.
 */
export function createCrawlPageHandler(deps: CrawlHandlerDeps) {
  const fetches = new PageFetchRepository(deps.db);
  return async (payload: CrawlPagePayload, job: Job): Promise<CrawlPageResult> => {
    const log = jobLogger(deps.logger, job);
    let adapter: SourceAdapter;
    try {
      adapter = getAdapter(payload.source);
    } catch (error) {
      throw new UnrecoverableError((error as Error).message);
    }
    const started = Date.now();
    const failed = async (error: Error, status: number | null, extra: Partial<{ bytes: number; contentHash: string; contentType: string; finalUrl: string }> = {}) => {
      await fetches.recordFetch({
        source: payload.source,
        url: payload.url,
        finalUrl: extra.finalUrl ?? null,
        status,
        bytes: extra.bytes ?? null,
        contentHash: extra.contentHash ?? null,
        contentType: extra.contentType ?? null,
        fetchedAt: new Date(started),
        durationMs: Date.now() - started,
        entries: null,
        warnings: [],
        error: error.message,
      });
      log.warn({ url: payload.url, status, err: error.message, attempt: job.attemptsMade + 1 }, 'page not fetched');
      const retryable = error instanceof FetchError ? error.retryable : true;
      throw retryable ? error : new UnrecoverableError(error.message);
    };

    let page;
    try {
      page = await fetchPage(payload.url, { ...deps.fetch, accept: adapter.accepts.join(', ') });
    } catch (error) {
      return failed(error as Error, error instanceof FetchError ? error.status : null);
    }
    const facts = { bytes: page.bytes, contentHash: page.contentHash, contentType: page.contentType, finalUrl: page.finalUrl };
    if (!accepts(adapter, page.contentType)) {
      return failed(new UnexpectedContentTypeError(page.finalUrl, page.contentType, adapter.accepts), page.status, facts);
    }
    let extracted;
    try {
      extracted = adapter.extract(createPage(page.finalUrl, page.body.toString('utf8'), page.contentType));
    } catch (error) {
      return failed(new Error(`${adapter.id} could not read ${page.finalUrl}: ${(error as Error).message}`), page.status, facts);
    }
    const { entries, warnings } = extracted;
    if (entries.length === 0) warnings.push(`${adapter.id}: no entries found on ${page.finalUrl}`);

    const fetchId = await fetches.recordFetch({
      source: payload.source,
      url: payload.url,
      finalUrl: page.finalUrl,
      status: page.status,
      bytes: page.bytes,
      contentHash: page.contentHash,
      contentType: page.contentType,
      fetchedAt: page.fetchedAt,
      durationMs: page.durationMs,
      entries: entries.length,
      warnings,
      error: null,
    });

    // Job ids from the content: fetching the same page content again enqueues nothing new.
    const jobs = chunk(entries, deps.batchSize).map((batch, index) => ({
      jobId: contentJobId('ingest', payload.source, payload.url, page.contentHash, index),
      data: {
        source: payload.source,
        listing: payload.url,
        fetchId,
        seenAt: page.fetchedAt.toISOString(),
        contentHash: page.contentHash,
        chunk: index,
        entries: batch,
      },
    }));
    const queue = deps.queues.get('ingest');
    const existing = await Promise.all(jobs.map((j) => queue.getJob(j.jobId)));
    const fresh = jobs.filter((_, i) => !existing[i]);
    await deps.queues.addBulk('ingest-entries', fresh);
    for (const warning of warnings) log.warn({ url: payload.url }, warning);
    log.info({ url: payload.url, status: page.status, bytes: page.bytes, entries: entries.length, jobs: fresh.length, durationMs: page.durationMs }, 'page crawled');
    return {
      fetchId,
      url: payload.url,
      status: page.status,
      entries: entries.length,
      warnings,
      ingestJobIds: fresh.map((j) => j.jobId),
      duplicateJobIds: jobs.filter((_, i) => existing[i]).map((j) => j.jobId),
    };
  };
}
