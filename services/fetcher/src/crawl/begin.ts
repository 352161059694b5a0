import { CrawlRepository } from '@paperboy/db';
import { jobLogger, type Logger } from '@paperboy/logger';
import { type CrawlPagePayload, type Job, UnrecoverableError } from '@paperboy/queue';
import type { SourceAdapter } from '@paperboy/sources';
import type { Politeness, SourceDefinition } from '@paperboy/sources-file';
import type { CrawlDeps } from './deps.js';
import { adapterFor } from './extract.js';
import { CrawlRecorder } from './record.js';

/** One attempt at crawling one page: what every stage after the first reads. */
export interface Crawl {
  crawlId: number;
  payload: CrawlPagePayload;
  job: Job;
  token: string | undefined;
  log: Logger;
  url: URL;
  adapter: SourceAdapter;
  /** The source as the sources file configures it (none for an `ingest` page). */
  configured: SourceDefinition | undefined;
  /** The limits this page is fetched under; robots.txt may lengthen the delay. */
  politeness: Politeness;
  /** What the last fetch of this URL whose batches were safely enqueued knew (conditional GET, "unchanged" check). */
  last: { contentHash: string | null; etag: string | null; lastModified: string | null };
  recorder: CrawlRecorder;
}

/**
 * Starts the crawl of a page (or resumes it, on a retry): its adapter, its politeness and its row.
 * The crawl's identity is Postgres's id; the job names its row by `crawlJobInstance` (queue, id and
 * creation time), so a retry resumes the row without the first attempt writing anything onto the
 * job. A job enqueued before that key existed may carry the id itself (`crawlId`): it resumes that row.
 */
export async function beginCrawl(deps: CrawlDeps, payload: CrawlPagePayload, job: Job, token?: string): Promise<Crawl> {
  // The job's logger is made on first use: a crawl that logs nothing (a 304) never pays for it.
  let log: Logger | undefined;
  const jobLog = () => (log ??= jobLogger(deps.logger, job));
  const configured = deps.sources.sources.find((s) => s.id === payload.source);
  let adapter: SourceAdapter;
  try {
    adapter = adapterFor(payload, configured);
  } catch (error) {
    throw new UnrecoverableError((error as Error).message);
  }
  const url = new URL(payload.url);
  const begun = await new CrawlRepository(deps.db).beginCrawl({
    source: payload.source,
    url: payload.url,
    trigger: payload.trigger ?? 'cli',
    jobKey: `${job.queueQualifiedName}:${job.id}`,
    jobInstance: crawlJobInstance(job),
    crawlId: payload.crawlId,
  });
  return {
    crawlId: begun.id,
    payload,
    job,
    token,
    get log() {
      return jobLog();
    },
    url,
    adapter,
    configured,
    politeness: deps.sources.politenessFor(url, configured),
    last: { contentHash: begun.lastContentHash, etag: begun.lastEtag, lastModified: begun.lastModified },
    recorder: new CrawlRecorder(
      deps.db,
      {
        crawlId: begun.id,
        source: payload.source,
        adapter: adapter.id,
        url: payload.url,
        job,
        get log() {
          return jobLog();
        },
      },
      deps.metrics,
    ),
  };
}

/**
 * The job's own name for its crawl row: its queue, its id and when it was stored (ms). BullMQ's job
 * ids restart when Redis is emptied; a job's creation time is set once, when it is stored, and kept
 * by its retries and delays, so the pair does not repeat.
 */
export function crawlJobInstance(job: Pick<Job, 'queueQualifiedName' | 'id' | 'timestamp'>): string {
  if (!job.id || !Number.isFinite(job.timestamp)) throw new Error('a crawl job without an id or creation time');
  return `${job.queueQualifiedName}:${job.id}:${job.timestamp}`;
}
