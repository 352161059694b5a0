import type { FetchFacts } from '@paperboy/db';
import { FetchError, type FetchedPage, fetchPage, retryDecision } from '@paperboy/http';
import { type CrawlPageOutcome, type CrawlPageResult, UnrecoverableError } from '@paperboy/queue';
import { keepArchived } from './archive.js';
import type { Crawl } from './begin.js';
import type { CrawlDeps } from './deps.js';
import { type HostSlot, putBack } from './slot.js';

/**
 * Conditional GET (ETag, Last-Modified of the last fetch whose batches were enqueued), guarded and
 * limited by @paperboy/http; the host slot is released either way. A failure is recorded: 429/503
 * pause the host for its Retry-After and put the page back without spending an attempt (its
 * throttles count instead); other retryable failures retry with backoff; permanent ones, or the
 * last attempt, fail at once.
 */
export async function fetchConditionally(deps: CrawlDeps, crawl: Crawl, slot: HostSlot): Promise<FetchedPage> {
  const { payload, adapter, last, recorder } = crawl;
  const started = Date.now();
  let page: FetchedPage;
  try {
    page = await fetchPage(payload.url, {
      ...deps.fetch,
      accept: adapter.accepts.join(', '),
      conditional: { etag: last.etag, lastModified: last.lastModified },
    });
  } catch (error) {
    const err = error as Error;
    const status = error instanceof FetchError ? error.status : null;
    deps.metrics?.pagesFetched.inc({ source: payload.source, status: status === null ? 'error' : String(status) });
    const decision = retryDecision(error);
    // A throttled page goes back to the queue without using an attempt; its throttles count instead.
    const throttledNow = decision.retry && decision.pauseHost;
    const throttled = (payload.throttled ?? 0) + (throttledNow ? 1 : 0);
    const { retry } = decision;
    const finalAttempt = await recorder.notFetched(err.message, { retry, throttled, throttledNow, status, started });
    if (decision.retry && decision.pauseHost && decision.delayMs) {
      // The host asked us to wait: every fetcher process leaves it alone until then, and this
      // page goes back to the queue for then. Not counted as a failed attempt.
      await deps.hosts.pause(crawl.url.host, decision.delayMs);
      await slot.release();
      if (finalAttempt) throw new UnrecoverableError(err.message);
      await crawl.job.updateData({ ...payload, throttled });
      return putBack(crawl, decision.delayMs, 'host paused');
    }
    await slot.release();
    // Past its attempts (throttles included, which BullMQ does not count): no further retry.
    throw decision.retry && !finalAttempt ? err : new UnrecoverableError(err.message);
  }
  await slot.release();
  const status = page.notModified ? 'not-modified' : String(page.status);
  deps.metrics?.pagesFetched.inc({ source: payload.source, status });
  deps.metrics?.crawlDurationSeconds.observe({ source: payload.source }, page.durationMs / 1000);
  return page;
}

/** What a fetched page puts on its record (a 304 has no body: its content is the last fetch's). */
export function fetchFacts(crawl: Crawl, page: FetchedPage): Omit<FetchFacts, 'adapter'> {
  const { finalUrl, fetchedAt, durationMs, etag, lastModified } = page;
  const common = { finalUrl, fetchedAt, durationMs, etag, lastModified };
  if (page.notModified) {
    return { ...common, bytes: 0, contentHash: crawl.last.contentHash, contentType: null, notModified: true };
  }
  return { ...common, bytes: page.bytes, contentHash: page.contentHash, contentType: page.contentType };
}

/** A crawl's result for its job (and for the commands that wait on it). */
export function crawlResult(
  crawl: Crawl,
  page: FetchedPage,
  found: Omit<Partial<CrawlPageResult>, 'outcome'> & { outcome: CrawlPageOutcome },
): CrawlPageResult {
  return {
    crawlId: crawl.crawlId,
    fetchId: null,
    url: crawl.payload.url,
    status: page.status,
    entries: 0,
    warnings: crawl.recorder.politeWarnings,
    ingestJobIds: [],
    duplicateJobIds: [],
    ...found,
  };
}

/**
 * A 304, or the same body as the last fetch: the crawl ends here with nothing enqueued (the
 * archived copy is kept alive, not compressed again). Null when the page changed.
 */
export async function endIfUnchanged(
  deps: CrawlDeps,
  crawl: Crawl,
  page: FetchedPage,
): Promise<CrawlPageResult | null> {
  const { recorder, log, payload } = crawl;
  if (page.notModified) {
    await recorder.record({ status: 304, outcome: 'not-modified', batches: 0 }, fetchFacts(crawl, page));
    log.info({ url: payload.url }, 'page not modified');
    return crawlResult(crawl, page, { outcome: 'not-modified', status: 304 });
  }
  if (crawl.last.contentHash !== page.contentHash) return null;
  await keepArchived(deps, page);
  await recorder.record({ status: page.status, outcome: 'unchanged', batches: 0 }, fetchFacts(crawl, page));
  log.info({ url: payload.url }, 'page unchanged');
  return crawlResult(crawl, page, { outcome: 'unchanged' });
}
