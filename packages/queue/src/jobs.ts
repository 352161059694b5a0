import type { CrawlOutcome } from '@paperboy/db';
import type { JobsOptions } from 'bullmq';
import { z } from 'zod';

/**
 * Every job the pipeline knows. Adding one takes four steps here (name, payload schema,
 * queue, default options) and then one handler file; the compiler demands each step.
 */
export const QueueName = {
  Crawl: 'crawl',
  Ingest: 'ingest',
  Planning: 'planning',
  Notify: 'notify',
  Maintenance: 'maintenance',
  Enrich: 'enrich',
  Webhooks: 'webhooks',
} as const;
export type QueueName = (typeof QueueName)[keyof typeof QueueName];

/** Every job's name: call sites write the name itself, which the compiler checks against this list. */
export type JobName =
  | 'crawl-source'
  | 'crawl-page'
  | 'prune-archive'
  | 'reconcile-crawls'
  | 'ingest-entries'
  | 'plan-digests'
  | 'send-digest'
  | 'send-digests'
  | 'refresh-dashboard'
  | 'send-confirmation'
  | 'enrich-due'
  | 'enrich-papers'
  | 'train-reader'
  | 'relay-events'
  | 'deliver-webhook'
  | 'prune-events';

/** The queue of each job: the only place that says where a job goes (adds, schedules, look-ups and workers follow it). */
export const jobQueue = {
  'crawl-source': 'crawl',
  'crawl-page': 'crawl',
  'prune-archive': 'crawl',
  'reconcile-crawls': 'crawl',
  'ingest-entries': 'ingest',
  // Planning has a queue of its own: a planner queued behind thousands of rate-limited sends would
  // wait for all of them (BullMQ queues are FIFO), and digests due meanwhile would be planned late.
  'plan-digests': 'planning',
  'send-digest': 'notify',
  'send-digests': 'notify',
  'refresh-dashboard': 'maintenance',
  // With the digests: one mail rate limit (the notify worker's limiter) covers every mail sent.
  'send-confirmation': 'notify',
  // The sweep runs beside the dashboard refresh, never queued behind enrichments it would feed.
  'enrich-due': 'maintenance',
  // Enrichment has a queue of its own: listings are stored at their pace, enrichment at the APIs'.
  'enrich-papers': 'enrich',
  // Beside the planners, never behind rate-limited sends: a reader's next digest wants the model.
  'train-reader': 'planning',
  // Events (issue 15) have a queue of their own: a slow endpoint never delays mail, and mail never delays events.
  'relay-events': 'webhooks',
  'deliver-webhook': 'webhooks',
  'prune-events': 'webhooks',
} as const satisfies Record<JobName, QueueName>;

// New payload fields must be optional: jobs queued by older code may still be waiting.
/** One run of a configured source: expands its URL templates into crawl-page jobs. */
const crawlSourcePayload = z.object({
  source: z.string().min(1),
});

const crawlPagePayload = z.object({
  /** A source id from the sources file, or (for `paperboy ingest`) an adapter id. */
  source: z.string().min(1),
  url: z.string().url(),
  requestedBy: z.string().optional(),
  /** The adapter, when `source` is a configured source (defaults to `source`). */
  adapter: z.string().optional(),
  /** What started it: cli, schedule, backfill. */
  trigger: z.string().optional(),
  /**
   * The crawl row (its id issued by Postgres) this job records into, on jobs enqueued before
   * migration 0019 (their first attempt wrote it); a job now finds its row by its own id and creation time.
   */
  crawlId: z.number().int().optional(),
  /** Times the host answered 429/503 to this page; counts against its attempts. */
  throttled: z.number().int().optional(),
});

const pruneArchivePayload = z.object({});

/** Re-enqueues, from the archive, ingest batches enqueued but not stored (Redis lost them, or they failed). */
const reconcileCrawlsPayload = z.object({});

const count = z.number().finite().optional();
const text = z.string().optional();

/** A raw entry as the fetcher sends it. Lenient on purpose: the processor rejects, with the raw data kept, what it cannot use. */
export const rawEntrySchema = z
  .object({
    rank: z.number().int(),
    externalId: text,
    arxivId: text,
    title: text,
    abstract: text,
    authors: z.array(z.string()).optional(),
    url: text,
    upvotes: count,
    comments: count,
    publishedAt: text,
    section: text,
    categories: z.array(z.string()).optional(),
    // What else the sources give (issue 13): the same plain types, checked by quickRawEntryCheck too.
    primaryCategory: text,
    version: count,
    arxivComments: text,
    journalRef: text,
    doi: text,
    license: text,
    githubRepo: text,
    githubStars: count,
    projectPage: text,
    aiSummary: text,
    aiKeywords: z.array(z.string()).optional(),
    organization: text,
    submittedBy: text,
    thumbnail: text,
    mediaUrls: z.array(z.string()).optional(),
  })
  .passthrough();

/** A raw entry the schema (or the quick check, `quickRawEntryCheck`) accepted. */
export type RawEntryInput = z.infer<typeof rawEntrySchema>;

const ingestEntriesPayload = z.object({
  source: z.string().min(1),
  /** The listing page the entries came from (its URL): sightings are kept per listing. */
  listing: z.string().min(1),
  fetchId: z.number().int().nullable(),
  /** When the page was fetched: the time of every sighting in the batch. */
  seenAt: z.string().datetime({ offset: true }),
  contentHash: z.string().min(1),
  chunk: z.number().int().min(0),
  /** The crawl these entries came from; its per-batch counts feed source health. */
  crawlId: z.number().int().optional(),
  /** The adapter that read the page (whether its links and counts are canonical); defaults to `source`. */
  adapter: z.string().optional(),
  /** Raw entries of one chunk, unparsed: an entry that is not an object is rejected by the processor, not by the schema. */
  entries: z.array(z.unknown()),
});

/** Finds the subscribers whose digest is due and fans out one send job each. */
const planDigestsPayload = z.object({
  frequency: z.enum(['daily', 'weekly']),
  /** As if every active subscriber of this frequency were due now. */
  force: z.boolean().optional(),
});

/** One subscriber's digest for one period: claimed in the database before the SMTP transaction. */
const sendDigestPayload = z.object({
  deliveryId: z.number().int(),
  subscriberId: z.number().int(),
});

/**
 * A chunk of planned deliveries, claimed together in one statement before any SMTP transaction
 * (the digests of one planner page, or re-offered ones). A retry claims only those still planned.
 */
const sendDigestsPayload = z.object({
  deliveryIds: z.array(z.number().int()).min(1).max(10_000),
});

/** Brings the precomputed dashboard views up to date: the days that changed, or every day with `full`. */
const refreshDashboardPayload = z.object({
  full: z.boolean().optional(),
});

/** The double opt-in mail of one subscribe request: the job builds the mail (and its link) from the subscriber. */
const sendConfirmationPayload = z.object({
  subscriberId: z.number().int(),
});

/** Sweeps the papers marked due for enrichment into enrich-papers jobs (and marks the refreshes due). */
const enrichDuePayload = z.object({});

/** One enrichment request: the arXiv API for up to 100 papers, or the Hugging Face paper API for a few. */
const enrichPapersPayload = z.object({
  kind: z.enum(['arxiv', 'hf']),
  paperIds: z.array(z.number().int()).min(1).max(100),
  /** Times the API answered 429/503 with a pause to this job; counts against its attempts. */
  throttled: z.number().int().optional(),
});

/** Trains one reader's model on the feedback given since it was last trained (or all of it, after an undo). */
const trainReaderPayload = z.object({
  subscriberId: z.number().int(),
});

/** Offers a deliver-webhook job to each enabled endpoint with settled events after its position (scheduled). */
const relayEventsPayload = z.object({});

/** Delivers, in order, the events after one endpoint's position (one job per endpoint at a time). */
const deliverWebhookPayload = z.object({
  endpointId: z.number().int(),
});

/** Deletes events older than PAPERBOY_EVENT_RETENTION_DAYS. */
const pruneEventsPayload = z.object({});

export const payloadSchemas = {
  'crawl-source': crawlSourcePayload,
  'crawl-page': crawlPagePayload,
  'prune-archive': pruneArchivePayload,
  'reconcile-crawls': reconcileCrawlsPayload,
  'ingest-entries': ingestEntriesPayload,
  'plan-digests': planDigestsPayload,
  'send-digest': sendDigestPayload,
  'send-digests': sendDigestsPayload,
  'refresh-dashboard': refreshDashboardPayload,
  'send-confirmation': sendConfirmationPayload,
  'enrich-due': enrichDuePayload,
  'enrich-papers': enrichPapersPayload,
  'train-reader': trainReaderPayload,
  'relay-events': relayEventsPayload,
  'deliver-webhook': deliverWebhookPayload,
  'prune-events': pruneEventsPayload,
} satisfies Record<JobName, z.ZodTypeAny>;

export type JobPayload<N extends JobName> = z.infer<(typeof payloadSchemas)[N]>;
export type CrawlPagePayload = JobPayload<'crawl-page'>;
export type CrawlSourcePayload = JobPayload<'crawl-source'>;
export type PlanDigestsPayload = JobPayload<'plan-digests'>;
export type SendDigestPayload = JobPayload<'send-digest'>;
export type SendDigestsPayload = JobPayload<'send-digests'>;
export type SendConfirmationPayload = JobPayload<'send-confirmation'>;
export type EnrichPapersPayload = JobPayload<'enrich-papers'>;
export type TrainReaderPayload = JobPayload<'train-reader'>;
export type DeliverWebhookPayload = JobPayload<'deliver-webhook'>;

/**
 * How long a reader's training waits after a word, and adds of it are merged: a reader clicking
 * through a digest trains once; a word given while a training runs gets a training of its own.
 */
export const TRAIN_READER_DELAY_MS = 5000;

/** The train-reader jobs for readers who just gave (or took back) feedback, for `Queues.addBulk`. */
export function trainReaderJobs(subscriberIds: readonly number[]) {
  return subscriberIds.map((subscriberId) => ({
    data: { subscriberId },
    deduplicationId: `train-reader-${subscriberId}`,
    deduplicationTtlMs: TRAIN_READER_DELAY_MS,
    delayMs: TRAIN_READER_DELAY_MS,
  }));
}

/** What one train-reader job did. */
export interface TrainReaderResult {
  /** incremental: the new words on top of the stored model; full: from scratch; cleared: no words left, model deleted; none: nothing new. */
  mode: 'incremental' | 'full' | 'cleared' | 'none';
  /** Words learned from in this run. */
  examples: number;
  /** Attempts lost to a concurrent training or undo (each started over from what was stored). */
  conflicts: number;
}

/** What one enrich-papers job did, by paper. */
export interface EnrichPapersResult {
  kind: 'arxiv' | 'hf';
  /** Papers whose details were stored. */
  enriched: number;
  /** Papers the API does not know (a 404, or absent from the answer). */
  notFound: number;
  /** Papers whose answer was unusable (malformed), recorded as errors. */
  failed: number;
  /** Papers left out: no longer due, or their kind switched off. */
  skipped: number;
}

export interface PlanDigestsResult {
  planned: number;
  sendJobIds: string[];
  /** Active subscribers skipped because Postgres does not know their time zone. */
  unknownTimeZones: number;
  /** Deliveries planned earlier and still unsent whose send job was offered to the queue again (a no-op where it exists). */
  reoffered?: number;
  /** Readers whose model was behind their feedback, offered a train-reader job. */
  staleReaders?: number;
}

export interface SendConfirmationResult {
  /** limited: the address already had its confirmation mails for the hour; not-pending: confirmed, gone or bounced meanwhile. */
  outcome: 'sent' | 'limited' | 'not-pending';
  messageId?: string;
}

export interface SendDigestResult {
  outcome: 'sent' | 'skipped' | 'not-claimed';
  papers: number;
  messageId?: string;
}
/** What one attempt of a chunk did, by delivery count. */
export interface SendDigestsResult {
  /** Deliveries of the chunk this attempt claimed (the others were claimed, finished or unwanted already). */
  claimed: number;
  sent: number;
  skipped: number;
  /** 5xx: finished failed, a bounce counted. */
  failed: number;
  /** No reply: left claimed (stuck), never sent again by itself. */
  uncertain: number;
}
export type IngestEntriesPayload = JobPayload<'ingest-entries'>;

/** How a crawl-page job that returned ended (one that throws is recorded as retrying, failed or disallowed). */
export type CrawlPageOutcome = Extract<CrawlOutcome, 'ok' | 'quiet' | 'not-modified' | 'unchanged'>;

export interface CrawlPageResult {
  crawlId?: number;
  outcome?: CrawlPageOutcome;
  fetchId: number | null;
  url: string;
  status: number | null;
  entries: number;
  warnings: string[];
  /** Ingest jobs this crawl added. */
  ingestJobIds: string[];
  /** Ingest jobs not added because a job for the same content already existed (a re-crawl of unchanged content). */
  duplicateJobIds: string[];
}

export interface IngestEntriesResult {
  entries: number;
  new: number;
  updated: number;
  merged: number;
  rejected: number;
  repeats: number;
}

/** A payload its job's schema refuses: a permanent failure in a worker, an error for a producer. */
export class InvalidPayloadError extends Error {}

/** The payload of a job of `name`, checked against its schema; throws InvalidPayloadError. */
export function parsePayload<N extends JobName>(name: N, data: unknown): JobPayload<N> {
  const parsed = payloadSchemas[name].safeParse(data);
  if (!parsed.success) throw new InvalidPayloadError(`invalid payload for ${name}: ${parsed.error.message}`);
  return parsed.data as JobPayload<N>;
}

/**
 * How long finished jobs are kept, the same for every job, whether added or run by a scheduler:
 * completed ones a day (at most 5,000 a queue), failed ones two weeks (at most 20,000 a queue).
 * BullMQ trims a queue by the limits of the job that just finished, so one policy keeps each queue's
 * limits what they say.
 */
export const jobRetention = {
  removeOnComplete: { age: 24 * 3600, count: 5000 },
  removeOnFail: { age: 14 * 24 * 3600, count: 20000 },
} as const satisfies Pick<JobsOptions, 'removeOnComplete' | 'removeOnFail'>;

/** Attempts, backoff and retention of every job of `name`, added or scheduled. */
export function defaultJobOptions(name: JobName, settings: { fetchAttempts: number }): JobsOptions {
  return { ...retryOptions(name, settings), ...jobRetention };
}

function retryOptions(name: JobName, settings: { fetchAttempts: number }): Pick<JobsOptions, 'attempts' | 'backoff'> {
  switch (name) {
    case 'crawl-page':
      // Exponential with full jitter, so retries of many pages of one host do not arrive together.
      return { attempts: settings.fetchAttempts, backoff: { type: 'exponential', delay: 2000, jitter: 1 } };
    case 'plan-digests':
      return { attempts: 3, backoff: { type: 'exponential', delay: 5000 } };
    case 'send-digest':
    case 'send-digests':
      // SMTP 4xx: retried with backoff; a 5xx fails the job at once (UnrecoverableError).
      return { attempts: 6, backoff: { type: 'exponential', delay: 30_000, jitter: 0.5 } };
    case 'crawl-source':
    case 'prune-archive':
    case 'reconcile-crawls':
      return { attempts: 3, backoff: { type: 'exponential', delay: 5000 } };
    case 'ingest-entries':
      return { attempts: 8, backoff: { type: 'exponential', delay: 1000 } };
    case 'refresh-dashboard':
      return { attempts: 3, backoff: { type: 'exponential', delay: 10_000 } };
    case 'enrich-due':
      return { attempts: 3, backoff: { type: 'exponential', delay: 5000 } };
    case 'enrich-papers':
      // 5xx and network errors: backoff with jitter. 429 and 503 with Retry-After pause the host and
      // put the job back (its throttles count). Past the attempts the papers stay due: the sweep
      // offers them again after its grace period, so no paper is dropped.
      return { attempts: 6, backoff: { type: 'exponential', delay: 2000, jitter: 0.5 } };
    case 'train-reader':
      // Cheap and idempotent; past its attempts the stale sweep of plan-digests offers it again.
      return { attempts: 3, backoff: { type: 'exponential', delay: 5000 } };
    case 'relay-events':
    case 'prune-events':
      // Scheduled and idempotent: the next run does what a failed one did not.
      return { attempts: 1 };
    case 'deliver-webhook':
      // The endpoint's failure run (in Postgres) decides retries and disabling: the handler puts the job
      // back with its own backoff, so BullMQ's attempts are only a guard.
      return { attempts: 3, backoff: { type: 'exponential', delay: 1000 } };
    case 'send-confirmation':
      // SMTP 4xx: retried with backoff (about 15 minutes in all: a confirmation is wanted now); a 5xx fails at once.
      return { attempts: 6, backoff: { type: 'exponential', delay: 15_000, jitter: 0.5 } };
  }
}
