import { capCrawlDelay, DEFAULT_MAX_CRAWL_DELAY_MS, FetchError } from '@paperboy/http';
import { UnrecoverableError } from '@paperboy/queue';
import type { Crawl } from './begin.js';
import type { CrawlDeps } from './deps.js';

/**
 * May we fetch it? Asks robots.txt (unless the source opts out). A disallow ends the crawl for
 * good; a robots.txt that cannot be read is retried like a network error; a Crawl-delay lengthens
 * the page's delay (cut to the configured maximum, with a warning on the record).
 */
export async function checkRobots(deps: CrawlDeps, crawl: Crawl): Promise<void> {
  const { payload, url, politeness, recorder, job, log } = crawl;
  if (!politeness.robots) return;
  let verdict: Awaited<ReturnType<typeof deps.robots.isAllowed>>;
  try {
    // A retry reads an "unreachable" robots.txt again: the cached verdict may be older than the backoff.
    verdict = await deps.robots.isAllowed(payload.url, { recheckUnreachable: job.attemptsMade > 0 });
  } catch (error) {
    // robots.txt may not be fetched at all (a private address this process refuses): the
    // page may not be either, and saying so beats calling it a robots.txt verdict.
    if (!(error instanceof FetchError)) throw error;
    await recorder.notFetched(error.message, { retry: error.retryable, throttled: payload.throttled ?? 0 });
    throw error.retryable ? error : new UnrecoverableError(error.message);
  }
  if (!verdict.allowed && verdict.unreachable) {
    // RFC 9309 §2.3.1.4: an unreachable robots.txt means complete disallow, but only until it
    // can be read: a network error like any other, retried with backoff.
    const reason = `robots.txt of ${url.host} unreachable (${verdict.unreachable}): not crawling it until it can be read`;
    await recorder.notFetched(reason, { retry: true, throttled: payload.throttled ?? 0 });
    throw new Error(reason);
  }
  if (!verdict.allowed) {
    const reason = `robots.txt of ${url.host} disallows ${url.pathname}`;
    await recorder.record({ outcome: 'disallowed', error: reason, warnings: [] });
    throw new UnrecoverableError(reason);
  }
  if (verdict.crawlDelayMs) {
    const cap = deps.maxCrawlDelayMs ?? DEFAULT_MAX_CRAWL_DELAY_MS;
    const { delayMs, capped } = capCrawlDelay(verdict.crawlDelayMs, cap);
    if (capped) {
      const declared = verdict.crawlDelayMs / 1000;
      recorder.politeWarnings.push(
        `robots.txt of ${url.host} asks for Crawl-delay: ${declared} s; ` +
          `waiting ${cap / 1000} s (PAPERBOY_MAX_CRAWL_DELAY_SECONDS) instead`,
      );
      const capSeconds = cap / 1000;
      log.warn(
        { url: payload.url, host: url.host, declaredDelaySeconds: declared, capSeconds },
        'robots.txt Crawl-delay capped',
      );
    }
    if (delayMs > politeness.minDelayMs) politeness.minDelayMs = delayMs;
  }
}
