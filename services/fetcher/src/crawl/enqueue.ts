import type { FetchedPage } from '@paperboy/http';
import { type CrawlPageResult, contentJobId, type IngestEntriesPayload, type Queues } from '@paperboy/queue';
import type { ExtractResult } from '@paperboy/sources';
import type { Crawl } from './begin.js';
import type { CrawlDeps } from './deps.js';
import { crawlResult, fetchFacts } from './fetch.js';
import type { CrawlJudgement } from './health.js';

/** Where a page's entries came from: what every ingest batch of it carries. */
export interface BatchOrigin {
  source: string;
  adapter: string;
  /** The listing page's URL (sightings are kept per listing). */
  listing: string;
  fetchId: number | null;
  /** The crawl whose batch counts the processor records; none for a replay (it is no crawl). */
  crawlId?: number;
  seenAt: Date;
  contentHash: string;
}

export interface IngestJob {
  jobId: string;
  data: IngestEntriesPayload;
}

/** Job id from the content: fetching the same page content again enqueues nothing new. */
export const contentBatchId = (origin: Pick<BatchOrigin, 'source' | 'listing' | 'contentHash'>, chunk: number) =>
  contentJobId('ingest', origin.source, origin.listing, origin.contentHash, chunk);

/** A page's entries as ingest jobs, `batchSize` a job: the one definition of the chunking and the payload. */
export function ingestBatches(
  origin: BatchOrigin,
  entries: readonly unknown[],
  batchSize: number,
  jobId: (chunk: number) => string = (chunk) => contentBatchId(origin, chunk),
): IngestJob[] {
  const jobs: IngestJob[] = [];
  for (let chunk = 0; chunk * batchSize < entries.length; chunk++) {
    jobs.push({
      jobId: jobId(chunk),
      data: {
        source: origin.source,
        adapter: origin.adapter,
        listing: origin.listing,
        fetchId: origin.fetchId,
        ...(origin.crawlId !== undefined ? { crawlId: origin.crawlId } : {}),
        seenAt: origin.seenAt.toISOString(),
        contentHash: origin.contentHash,
        chunk,
        entries: entries.slice(chunk * batchSize, (chunk + 1) * batchSize),
      },
    });
  }
  return jobs;
}

interface ExistsPipeline {
  exists(key: string): ExistsPipeline;
  exec(): Promise<Array<[Error | null, unknown]> | null>;
}

/**
 * Which of these job ids are in the ingest queue: one pipelined EXISTS per job hash, one round trip
 * (reading each job back, as `getJob` does, costs a round trip and a parse of its entries per job).
 */
export async function jobsInQueue(queues: Queues, jobIds: readonly string[]): Promise<boolean[]> {
  if (jobIds.length === 0) return [];
  const queue = queues.get('ingest');
  // BullMQ types its client loosely; it is an ioredis client, whose pipeline has every command.
  const pipeline = (await queue.client).pipeline() as unknown as ExistsPipeline;
  for (const id of jobIds) pipeline.exists(queue.toKey(id));
  const replies = (await pipeline.exec()) ?? [];
  return jobIds.map((_, i) => {
    const [error, count] = replies[i] ?? [new Error('no reply from Redis')];
    if (error) throw error;
    return count === 1;
  });
}

/** Adds the jobs not already in the queue (a job id still there makes its add a no-op anyway); says which were new. */
export async function enqueueNew(
  queues: Queues,
  jobs: readonly IngestJob[],
): Promise<{ fresh: IngestJob[]; duplicates: IngestJob[] }> {
  const existing = await jobsInQueue(
    queues,
    jobs.map((j) => j.jobId),
  );
  const fresh = jobs.filter((_, i) => !existing[i]);
  await queues.addBulk('ingest-entries', fresh);
  return { fresh, duplicates: jobs.filter((_, i) => existing[i]) };
}

/**
 * The hand-off: the fetch is recorded as not yet enqueued (when there is anything to enqueue), its
 * batches are added, and only then is it marked enqueued. Should the enqueue fail, the retry's
 * conditional GET and "unchanged" check do not take this fetch as seen: it fetches and enqueues
 * the page again.
 */
export async function enqueueBatches(
  deps: CrawlDeps,
  crawl: Crawl,
  page: FetchedPage,
  extracted: ExtractResult,
  judgement: CrawlJudgement,
): Promise<CrawlPageResult> {
  const { payload, recorder, job, log } = crawl;
  const { entries, warnings } = extracted;
  const batches = Math.ceil(entries.length / deps.batchSize);
  // The adapter's warnings first: the first one is what a summary reports for an empty page.
  const recorded = [...warnings, ...recorder.politeWarnings];
  const outcome = {
    status: page.status,
    outcome: judgement.outcome,
    entries: entries.length,
    batches,
    warnings: recorded,
    suspect: judgement.suspect,
    suspectReason: judgement.reason,
  };
  const fetch = { ...fetchFacts(crawl, page), batchSize: deps.batchSize, enqueued: batches === 0 };
  const fetchId = await recorder.record(outcome, fetch);
  const origin = {
    source: payload.source,
    adapter: crawl.adapter.id,
    listing: payload.url,
    fetchId,
    crawlId: crawl.crawlId,
    seenAt: page.fetchedAt,
    contentHash: page.contentHash,
  };
  const jobs = ingestBatches(origin, entries, deps.batchSize);
  let added: Awaited<ReturnType<typeof enqueueNew>>;
  try {
    added = await enqueueNew(deps.queues, jobs);
  } catch (error) {
    // Redis failed us: the fetch stays "not enqueued", so the retry fetches the page in full and enqueues it.
    const message = `batches not enqueued: ${(error as Error).message}`;
    const attempt = job.attemptsMade + 1;
    const ended = attempt >= (job.opts.attempts ?? 1) ? 'failed' : 'retrying';
    await recorder.record({ ...outcome, outcome: ended, error: message, suspect: false, suspectReason: null });
    log.warn({ url: payload.url, err: message, attempt }, 'page fetched but its batches not enqueued');
    throw error;
  }
  if (batches && fetchId !== null) await recorder.markEnqueued(fetchId);
  for (const warning of warnings) log.warn({ url: payload.url }, warning);
  if (judgement.suspect) log.warn({ url: payload.url, reason: judgement.reason }, 'suspect crawl');
  const { status, bytes, durationMs } = page;
  log.info(
    { url: payload.url, status, bytes, entries: entries.length, jobs: added.fresh.length, durationMs },
    'page crawled',
  );
  return crawlResult(crawl, page, {
    outcome: judgement.outcome,
    fetchId,
    entries: entries.length,
    warnings: recorded,
    ingestJobIds: added.fresh.map((j) => j.jobId),
    duplicateJobIds: added.duplicates.map((j) => j.jobId),
  });
}
