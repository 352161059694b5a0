import type { JobsOptions } from 'bullmq';
import { z } from 'zod';

/**
 * Every job the pipeline knows. Adding one takes four steps here (name, payload schema,
 * queue, default options) and then one handler file; the compiler demands each step.
 */
export const QueueName = { Crawl: 'crawl', Ingest: 'ingest' } as const;
export type QueueName = (typeof QueueName)[keyof typeof QueueName];

export const JobName = { CrawlPage: 'crawl-page', IngestEntries: 'ingest-entries' } as const;
export type JobName = (typeof JobName)[keyof typeof JobName];

export const jobQueue: Record<JobName, QueueName> = {
  'crawl-page': 'crawl',
  'ingest-entries': 'ingest',
};

// New payload fields must be optional: jobs queued by older code may still be waiting.
const crawlPagePayload = z.object({
  source: z.string().min(1),
  url: z.string().url(),
  requestedBy: z.string().optional(),
});

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
  })
  .passthrough();

const ingestEntriesPayload = z.object({
  source: z.string().min(1),
  /** The listing page the entries came from (its URL): sightings are kept per listing. */
  listing: z.string().min(1),
  fetchId: z.number().int().nullable(),
  /** When the page was fetched: the time of every sighting in the batch. */
  seenAt: z.string().datetime({ offset: true }),
  contentHash: z.string().min(1),
  chunk: z.number().int().min(0),
  /** Raw entries of one chunk, unparsed: an entry that is not an object is rejected by the processor, not by the schema. */
  entries: z.array(z.unknown()),
});

export const payloadSchemas = {
  'crawl-page': crawlPagePayload,
  'ingest-entries': ingestEntriesPayload,
} satisfies Record<JobName, z.ZodTypeAny>;

export type JobPayload<N extends JobName> = z.infer<(typeof payloadSchemas)[N]>;
export type CrawlPagePayload = JobPayload<'crawl-page'>;
export type IngestEntriesPayload = JobPayload<'ingest-entries'>;

export interface CrawlPageResult {
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

export function parsePayload<N extends JobName>(name: N, data: unknown): JobPayload<N> {
  return payloadSchemas[name].parse(data) as JobPayload<N>;
}

const keep = {
  removeOnComplete: { age: 24 * 3600, count: 5000 },
  removeOnFail: { age: 14 * 24 * 3600, count: 20000 },
};

export function defaultJobOptions(name: JobName, settings: { fetchAttempts: number }): JobsOptions {
  switch (name) {
    case 'crawl-page':
      return { attempts: settings.fetchAttempts, backoff: { type: 'exponential', delay: 1000 }, ...keep };
    case 'ingest-entries':
      return { attempts: 8, backoff: { type: 'exponential', delay: 1000 }, ...keep };
  }
}
