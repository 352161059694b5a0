import { jobLogger, type Logger } from '@paperboy/logger';
import { type CrawlSourcePayload, type Job, type Queues, UnrecoverableError } from '@paperboy/queue';
import { expandUrl, type SourcesFile } from '@paperboy/sources-file';

export interface CrawlSourceDeps {
  queues: Queues;
  logger: Logger;
  sources: SourcesFile;
  /** Injectable for tests. */
  now?: () => Date;
  random?: () => number;
}

/**
 * crawl-source: one scheduled run of a configured source. Expands its URL templates for today
 * (UTC) and adds a crawl-page job for each, after a random delay up to the source's jitter. A page
 * still waiting from the last run (its host paused, say) is not added twice.
 */
export function createCrawlSourceHandler(deps: CrawlSourceDeps) {
  const now = deps.now ?? (() => new Date());
  const random = deps.random ?? Math.random;
  return async (payload: CrawlSourcePayload, job: Job) => {
    const source = deps.sources.sources.find((s) => s.id === payload.source);
    if (!source) throw new UnrecoverableError(`source "${payload.source}" is not in ${deps.sources.path}`);
    if (!source.enabled) return { source: source.id, pages: 0, skipped: 'disabled' };
    const today = now();
    const urls = [...new Set(source.urls.map((template) => expandUrl(template, today)))];
    await deps.queues.addBulk(
      'crawl-page',
      urls.map((url) => ({
        data: { source: source.id, adapter: source.adapter, url, trigger: 'schedule' },
        deduplicationId: `page-${source.id}-${Buffer.from(url).toString('base64url')}`.slice(0, 200),
        delayMs: Math.floor(random() * source.schedule.jitterMs),
      })),
    );
    jobLogger(deps.logger, job).info({ urls }, 'source run queued'); // the job logger already names the source
    return { source: source.id, pages: urls.length };
  };
}
