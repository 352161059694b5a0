import { type JobName, type JobPayload, parsePayload } from './jobs.js';

/** The form `Date.prototype.toISOString` gives (four-digit years), which the schema's datetime check accepts. */
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** In that form and a real date (not month 13, not 30 February): what toISOString gives back unchanged. */
const isoUtc = (s: string) => ISO_UTC.test(s) && !Number.isNaN(Date.parse(s)) && new Date(s).toISOString() === s;

const text = (v: unknown) => typeof v === 'string' && v.length > 0;

/**
 * A quick check of an ingest-entries payload, narrower than its schema (whatever it accepts, the
 * schema accepts): plain type tests on the fields, entries only checked to be an array (the schema
 * takes any entry too), the time only in `toISOString`'s form. The payloads the fetcher builds
 * pass it; anything else is judged by the schema.
 */
export function quickIngestCheck(data: unknown): boolean {
  if (typeof data !== 'object' || data === null) return false;
  const d = data as Record<string, unknown>;
  return (
    text(d.source) &&
    text(d.listing) &&
    (d.fetchId === null || Number.isInteger(d.fetchId)) &&
    typeof d.seenAt === 'string' &&
    isoUtc(d.seenAt) &&
    text(d.contentHash) &&
    Number.isInteger(d.chunk) &&
    (d.chunk as number) >= 0 &&
    (d.crawlId === undefined || Number.isInteger(d.crawlId)) &&
    (d.adapter === undefined || typeof d.adapter === 'string') &&
    Array.isArray(d.entries)
  );
}

const optionalText = (v: unknown) => v === undefined || typeof v === 'string';
const optionalCount = (v: unknown) => v === undefined || (typeof v === 'number' && Number.isFinite(v));
const optionalTexts = (v: unknown) => v === undefined || (Array.isArray(v) && v.every((x) => typeof x === 'string'));

/**
 * A quick check of one raw entry, narrower than `rawEntrySchema` (whatever it passes, the schema
 * passes, and the schema's result holds the same fields with the same values: its checks transform
 * nothing): a plain object (as JSON.parse makes them) with each known field of the expected type or
 * absent. The entries adapters produce pass it; anything else is judged by the schema.
 */
export function quickRawEntryCheck(item: unknown): boolean {
  if (typeof item !== 'object' || item === null || Object.getPrototypeOf(item) !== Object.prototype) return false;
  const e = item as Record<string, unknown>;
  return (
    Number.isInteger(e.rank) &&
    optionalText(e.externalId) &&
    optionalText(e.arxivId) &&
    optionalText(e.title) &&
    optionalText(e.abstract) &&
    optionalTexts(e.authors) &&
    optionalText(e.url) &&
    optionalCount(e.upvotes) &&
    optionalCount(e.comments) &&
    optionalText(e.publishedAt) &&
    optionalText(e.section) &&
    optionalTexts(e.categories) &&
    optionalText(e.primaryCategory) &&
    optionalCount(e.version) &&
    optionalText(e.arxivComments) &&
    optionalText(e.journalRef) &&
    optionalText(e.doi) &&
    optionalText(e.license) &&
    optionalText(e.githubRepo) &&
    optionalCount(e.githubStars) &&
    optionalText(e.projectPage) &&
    optionalText(e.aiSummary) &&
    optionalTexts(e.aiKeywords) &&
    optionalText(e.organization) &&
    optionalText(e.submittedBy) &&
    optionalText(e.thumbnail) &&
    optionalTexts(e.mediaUrls)
  );
}

const CRAWL_PAGE_KEYS = new Set(['source', 'url', 'requestedBy', 'adapter', 'trigger', 'crawlId', 'throttled']);
const optionalInteger = (v: unknown) => v === undefined || Number.isInteger(v);

/**
 * A quick check of a crawl-page payload, narrower than its schema: the schema's fields only (one
 * it does not know would be stripped by it, so such a payload is left to it), plain type tests, the
 * URL as the schema tests it (`new URL` accepts it). What it passes, the schema passes unchanged.
 */
export function quickCrawlPageCheck(data: unknown): boolean {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return false;
  const d = data as Record<string, unknown>;
  for (const key of Object.keys(d)) if (!CRAWL_PAGE_KEYS.has(key)) return false;
  return (
    text(d.source) &&
    typeof d.url === 'string' &&
    URL.canParse(d.url) &&
    optionalText(d.requestedBy) &&
    optionalText(d.adapter) &&
    optionalText(d.trigger) &&
    optionalInteger(d.crawlId) &&
    optionalInteger(d.throttled)
  );
}

/**
 * Refuses (InvalidPayloadError) any payload its job's schema refuses. An ingest batch or a page
 * that passes its quick check is not parsed again: validating fifty entries with zod cost the
 * crawl more than the check that gives the same answer for them, and a 304 re-crawl is little
 * more than its job.
 */
export function checkPayloads(name: JobName, payloads: readonly unknown[]): void {
  for (const data of payloads) {
    if (name === 'ingest-entries' && quickIngestCheck(data)) continue;
    if (name === 'crawl-page' && quickCrawlPageCheck(data)) continue;
    parsePayload(name, data);
  }
}

/**
 * A job's payload as its handler receives it: an ingest batch or a page that passes its quick
 * check as it is, anything else parsed by its schema (InvalidPayloadError when refused).
 */
export function checkedPayload<N extends JobName>(name: N, data: unknown): JobPayload<N> {
  if (name === 'ingest-entries' && quickIngestCheck(data)) return data as JobPayload<N>;
  if (name === 'crawl-page' && quickCrawlPageCheck(data)) return data as JobPayload<N>;
  return parsePayload(name, data);
}
