import {
  appendEventsByType,
  CrawlRepository,
  type Db,
  type EnrichKind,
  EnrichmentRepository,
  type EnrichTarget,
  type FactRow,
  PaperRepository,
  type PaperUpdate,
  type TopicRow,
  type VersionRow,
} from '@paperboy/db';
import {
  DEFAULT_THROTTLE_PAUSE_MS,
  FetchError,
  type FetchedPage,
  type FetchSettings,
  fetchPage,
  HttpStatusError,
  retryDecision,
} from '@paperboy/http';
import { jobLogger, type Logger } from '@paperboy/logger';
import { countEmittedEvents, type Metrics } from '@paperboy/metrics';
import { classify, type NormalizedEntry, normalizeEntry, type Taxonomy } from '@paperboy/pipeline';
import {
  DelayedError,
  type EnrichPapersPayload,
  type EnrichPapersResult,
  type Job,
  UnrecoverableError,
} from '@paperboy/queue';
import { extractArxivFeed, extractHfApi, type RawEntry } from '@paperboy/sources';
import { updatedEvent } from '../paper-events.js';

/** The politeness layer (structurally @paperboy/http's HostLimiter and RobotsCache, shared with the fetcher through Redis). */
export interface EnrichHosts {
  acquire(
    host: string,
    limits: { concurrency: number; minDelayMs: number },
  ): Promise<{ ok: true; release(): Promise<void> } | { ok: false; waitMs: number; reason: string }>;
  pause(host: string, ms: number): Promise<void>;
}
export interface EnrichRobots {
  isAllowed(url: string): Promise<{ allowed: boolean; crawlDelayMs?: number; unreachable?: string }>;
}

export interface EnrichSettings {
  /** The kinds switched on (PAPERBOY_ENRICH). */
  kinds: readonly EnrichKind[];
  arxivUrl: string;
  hfUrl: string;
}

export interface EnrichDeps {
  db: Db;
  logger: Logger;
  taxonomy: Taxonomy;
  enrich: EnrichSettings;
  fetch: Omit<FetchSettings, 'accept' | 'conditional'>;
  hosts: EnrichHosts;
  robots: EnrichRobots;
  metrics?: Metrics;
  /** Pause after a 429 without Retry-After (default 60 s, as for crawls). */
  defaultThrottlePauseMs?: number;
}

/** arXiv asks for at most one request every 3 seconds (its API terms): the host limiter's delay, for every process. */
export const ARXIV_MIN_DELAY_MS = 3000;
/** The Hugging Face paper API: one request at a time, a second apart. */
export const HF_MIN_DELAY_MS = 1000;

/** What each kind records as: its source in crawls, page_fetches, paper_facts and `details_source`. */
export const ENRICH_SOURCE: Record<EnrichKind, string> = { arxiv: 'enrich-arxiv', hf: 'enrich-hf' };

/** The request of a kind for these arXiv ids. */
export function enrichUrl(settings: EnrichSettings, kind: EnrichKind, arxivIds: readonly string[]): string {
  if (kind === 'arxiv') {
    const url = new URL(settings.arxivUrl);
    url.searchParams.set('id_list', arxivIds.join(','));
    url.searchParams.set('max_results', String(arxivIds.length));
    return url.toString();
  }
  return `${settings.hfUrl.replace(/\/+$/, '')}/${encodeURIComponent(arxivIds[0]!)}`;
}

/** Ends the job's attempt by putting it back for `waitMs` (never slept on). */
async function putBack(job: Job, token: string | undefined, waitMs: number): Promise<never> {
  await job.moveToDelayed(Date.now() + Math.max(waitMs, 50), token);
  throw new DelayedError();
}

/**
 * enrich-papers: asks the arXiv API (up to 100 papers in one request) or the Hugging Face paper API
 * (one request per paper) about papers marked due, and stores what they give as details only
 * (detail columns, paper_facts, paper_versions, categories; no sighting, no rank), under the same
 * provenance rules as listings. Each request is recorded like a crawl (source `enrich-arxiv` or
 * `enrich-hf`, trigger `enrich`): outcome, status, error, duration, its page fetch.
 *
 * Polite: the host limiter (arXiv: one request every 3 s, across processes), robots.txt, and
 * conditional requests (the ETag/Last-Modified of the last answer to the same URL). A 429, or a 503
 * with Retry-After, pauses the host and puts the job back without spending an attempt; other
 * retryable failures retry with backoff. A paper the API does not know ends `not-found` without
 * failing the others; an answer that cannot be read is recorded as an error (`malformed`).
 * Idempotent: only papers still due are asked about, and storing the same answer again changes no
 * value, fact, version or topic.
 */
export function createEnrichPapersHandler(deps: EnrichDeps) {
  const enrichments = new EnrichmentRepository(deps.db);
  return async (payload: EnrichPapersPayload, job: Job, token?: string): Promise<EnrichPapersResult> => {
    const { kind } = payload;
    const result: EnrichPapersResult = { kind, enriched: 0, notFound: 0, failed: 0, skipped: 0 };
    if (!deps.enrich.kinds.includes(kind)) {
      // Switched off since it was enqueued: the papers stay due, for when it is on again.
      result.skipped = payload.paperIds.length;
      return result;
    }
    const targets = await enrichments.stillDue(kind, payload.paperIds);
    result.skipped = payload.paperIds.length - targets.length;
    const log = jobLogger(deps.logger, job);
    const groups = kind === 'arxiv' ? [targets] : targets.map((t) => [t]);
    for (const group of groups) {
      if (group.length === 0) continue;
      const done = await enrichGroup(deps, kind, group, payload, job, token, log);
      result.enriched += done.enriched;
      result.notFound += done.notFound;
      result.failed += done.failed;
    }
    log.info(result, 'papers enriched');
    return result;
  };
}

async function enrichGroup(
  deps: EnrichDeps,
  kind: EnrichKind,
  group: readonly EnrichTarget[],
  payload: EnrichPapersPayload,
  job: Job,
  token: string | undefined,
  log: Logger,
): Promise<{ enriched: number; notFound: number; failed: number }> {
  const enrichments = new EnrichmentRepository(deps.db);
  const crawls = new CrawlRepository(deps.db);
  const source = ENRICH_SOURCE[kind];
  const url = enrichUrl(
    deps.enrich,
    kind,
    group.map((t) => t.arxivId),
  );
  const host = new URL(url).host;
  const ids = group.map((t) => t.paperId);

  const verdict = await deps.robots.isAllowed(url);
  if (!verdict.allowed && verdict.unreachable)
    throw new Error(`robots.txt of ${host} unreachable: ${verdict.unreachable}`);
  const minDelayMs = Math.max(kind === 'arxiv' ? ARXIV_MIN_DELAY_MS : HF_MIN_DELAY_MS, verdict.crawlDelayMs ?? 0);
  const slot = await deps.hosts.acquire(host, { concurrency: 1, minDelayMs });
  if (!slot.ok) return putBack(job, token, slot.waitMs);

  const begun = await crawls.beginCrawl({
    source,
    url,
    trigger: 'enrich',
    jobKey: `${job.queueQualifiedName}:${job.id}`,
    jobInstance: `${job.queueQualifiedName}:${job.id}:${job.timestamp}:${url}`,
  });
  if (!verdict.allowed) {
    await slot.release();
    const reason = `robots.txt of ${host} disallows ${new URL(url).pathname}`;
    await crawls.recordOutcome(begun.id, finish('disallowed', null, reason));
    await enrichments.finish(kind, ids, 'disallowed', reason);
    return { enriched: 0, notFound: 0, failed: ids.length };
  }

  const started = Date.now();
  let page: FetchedPage;
  try {
    page = await fetchPage(url, {
      ...deps.fetch,
      accept: kind === 'arxiv' ? 'application/atom+xml, application/xml' : 'application/json',
      conditional: { etag: begun.lastEtag, lastModified: begun.lastModified },
    });
  } catch (error) {
    await slot.release();
    const message = (error as Error).message;
    const status = error instanceof FetchError ? error.status : null;
    deps.metrics?.pagesFetched.inc({ source, status: status === null ? 'error' : String(status) });
    const failedFetch = {
      adapter: source,
      finalUrl: null,
      bytes: null,
      contentHash: null,
      contentType: null,
      fetchedAt: new Date(started),
      durationMs: Date.now() - started,
    };
    if (kind === 'hf' && error instanceof HttpStatusError && error.status === 404) {
      // The paper API does not know this paper: it alone ends so.
      await crawls.recordOutcome(begun.id, finish('ok', 404, message), failedFetch);
      await enrichments.finish(kind, ids, 'not-found', null);
      return { enriched: 0, notFound: ids.length, failed: 0 };
    }
    const decision = retryDecision(error, {
      defaultThrottlePauseMs: deps.defaultThrottlePauseMs ?? DEFAULT_THROTTLE_PAUSE_MS,
    });
    const throttled = (payload.throttled ?? 0) + (decision.retry && decision.pauseHost ? 1 : 0);
    const spent = job.attemptsMade + throttled + (decision.retry && decision.pauseHost ? 0 : 1);
    const last = !decision.retry || spent >= (job.opts.attempts ?? 1);
    await crawls.recordOutcome(begun.id, finish(last ? 'failed' : 'retrying', status, message), failedFetch);
    log.warn({ url, status, err: message, attempt: job.attemptsMade + 1, last }, 'enrichment not fetched');
    if (!decision.retry) {
      // Permanent (a 4xx other than 404 and 429): recorded on the papers, not asked again until a refresh.
      await enrichments.finish(kind, ids, 'failed', message);
      throw new UnrecoverableError(message);
    }
    // Out of attempts: the papers stay due, and the sweep offers them again after its grace period.
    if (last) throw new UnrecoverableError(message);
    if (decision.retry && decision.pauseHost && decision.delayMs) {
      await deps.hosts.pause(host, decision.delayMs);
      await job.updateData({ ...payload, throttled });
      return putBack(job, token, decision.delayMs);
    }
    throw error;
  }
  await slot.release();
  deps.metrics?.pagesFetched.inc({ source, status: page.notModified ? 'not-modified' : String(page.status) });
  deps.metrics?.crawlDurationSeconds.observe({ source }, page.durationMs / 1000);
  const facts = {
    adapter: source,
    finalUrl: page.finalUrl,
    bytes: page.bytes,
    contentHash: page.notModified ? begun.lastContentHash : page.contentHash,
    contentType: page.notModified ? null : page.contentType,
    fetchedAt: page.fetchedAt,
    durationMs: page.durationMs,
    etag: page.etag,
    lastModified: page.lastModified,
    notModified: page.notModified,
  };
  if (page.notModified) {
    // The same answer as last time: what it gave is stored already.
    await crawls.recordOutcome(begun.id, finish('not-modified', 304, null), facts);
    await enrichments.finish(kind, ids, 'not-modified', null);
    return { enriched: 0, notFound: 0, failed: 0 };
  }

  const parsed = parseAnswer(kind, page.body.toString('utf8'), url);
  if (parsed.error !== undefined) {
    await crawls.recordOutcome(begun.id, finish('failed', page.status, parsed.error), facts);
    await enrichments.finish(kind, ids, 'malformed', parsed.error);
    log.warn({ url, err: parsed.error }, 'enrichment answer unusable');
    return { enriched: 0, notFound: 0, failed: ids.length };
  }
  const byArxivId = new Map(parsed.entries.flatMap((e) => (e.arxivId ? [[e.arxivId, e] as const] : [])));
  const found = group.filter((t) => byArxivId.has(t.arxivId));
  const missing = group.filter((t) => !byArxivId.has(t.arxivId)).map((t) => t.paperId);
  await storeDetails(
    deps,
    source,
    found.map((t) => ({ paperId: t.paperId, entry: byArxivId.get(t.arxivId)! })),
    page.fetchedAt,
  );
  const outcome = missing.length === ids.length ? 'quiet' : 'ok';
  await crawls.recordOutcome(
    begun.id,
    { ...finish(outcome, page.status, null), entries: found.length, batches: 0 },
    facts,
  );
  await enrichments.finish(
    kind,
    found.map((t) => t.paperId),
    'ok',
    null,
  );
  await enrichments.finish(kind, missing, 'not-found', null);
  return { enriched: found.length, notFound: missing.length, failed: 0 };
}

function finish(
  outcome: 'ok' | 'quiet' | 'not-modified' | 'failed' | 'retrying' | 'disallowed',
  status: number | null,
  error: string | null,
) {
  return { outcome, status, entries: null, batches: null, error, warnings: [], suspect: false, suspectReason: null };
}

/** The entries of an answer, normalized; or why it cannot be read. */
export function parseAnswer(
  kind: EnrichKind,
  body: string,
  url: string,
): { entries: NormalizedEntry[]; error?: undefined } | { entries?: undefined; error: string } {
  let raw: RawEntry[];
  if (kind === 'arxiv') {
    const extracted = extractArxivFeed(body, url);
    if (extracted.entries.length === 0 && !extracted.quiet)
      return { error: `arXiv API answer unusable: ${extracted.warnings.join('; ') || 'no entries'}` };
    raw = extracted.entries;
  } else {
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch (error) {
      return { error: `Hugging Face paper API answer is not JSON: ${(error as Error).message}` };
    }
    if (typeof json !== 'object' || json === null || Array.isArray(json))
      return { error: 'Hugging Face paper API answer is not a paper object' };
    const extracted = extractHfApi([{ paper: json }], url);
    if (extracted.entries.length === 0)
      return { error: `Hugging Face paper API answer unusable: ${extracted.warnings.join('; ') || 'no paper id'}` };
    raw = extracted.entries;
  }
  const entries: NormalizedEntry[] = [];
  for (const item of raw) {
    const normalized = normalizeEntry(item as Parameters<typeof normalizeEntry>[0]);
    if (normalized.ok) entries.push(normalized.entry);
  }
  return { entries };
}

/**
 * Stores what the answers gave, in one transaction: the detail columns and categories (merged as a
 * canonical source's, the paper's first and last seen times untouched), the facts and versions, and
 * new topics for the papers whose categories changed.
 */
async function storeDetails(
  deps: EnrichDeps,
  source: string,
  items: ReadonlyArray<{ paperId: number; entry: NormalizedEntry }>,
  seenAt: Date,
): Promise<void> {
  if (items.length === 0) return;
  const sorted = [...items].sort((a, b) => a.paperId - b.paperId);
  const events = await deps.db.transaction().execute(async (trx) => {
    const repo = new PaperRepository(trx);
    // Locked, and read as they are before: what enrichment changed is a paper.updated.
    const before = await repo.snapshotPapers(
      sorted.map((i) => i.paperId),
      { lock: true },
    );
    const categoriesBefore = new Map([...before].map(([id, r]) => [id, r.categories.join(',')]));
    // The classifier weighs the primary category apart; stored categories are sorted, so it is said.
    const primaryOf = new Map([...before].map(([id, r]) => [id, r.primaryCategory]));
    for (const { paperId, entry } of sorted)
      if (entry.details.primaryCategory) primaryOf.set(paperId, entry.details.primaryCategory);
    const updates: PaperUpdate[] = sorted.map(({ paperId, entry }) => ({
      id: paperId,
      arxivId: entry.arxivId,
      title: entry.title,
      titleKey: entry.titleKey,
      abstract: entry.abstract,
      authors: entry.authors,
      authorKeys: entry.authorKeys,
      categories: entry.categories,
      url: null,
      urlOrigin: null,
      publishedAt: entry.publishedAt,
      upvotes: null,
      comments: null,
      seenAt,
      source,
      countsCanonical: false,
      details: entry.details,
      detailsCanonical: true,
      version: entry.arxivId ? entry.version : null,
      detailsOnly: true,
    }));
    const texts = await repo.mergeIntoPapers(updates);
    const changed = texts.filter((t) => categoriesBefore.get(t.id) !== t.categories.join(','));
    const topics: TopicRow[] = changed.flatMap((paper) =>
      classify({ ...paper, primaryCategory: primaryOf.get(paper.id) ?? paper.primaryCategory }, deps.taxonomy).map(
        (topic, position) => ({
          paperId: paper.id,
          topicId: topic.id,
          score: topic.score,
          position,
          evidence: topic.evidence,
        }),
      ),
    );
    const facts: FactRow[] = sorted.flatMap(({ paperId, entry }) =>
      ([...Object.entries(entry.details), ['categories', entry.categories]] as Array<[string, unknown]>)
        .filter(([, value]) => value !== null && !(Array.isArray(value) && value.length === 0))
        .map(([field, value]) => ({ paperId, source, field, value, seenAt })),
    );
    const versions: VersionRow[] = sorted.flatMap(({ paperId, entry }) =>
      entry.version === null ? [] : [{ paperId, version: entry.version, source, seenAt }],
    );
    await repo.recordBatch({
      source,
      aliases: [],
      sightings: [],
      facts,
      versions,
      classifiedPaperIds: changed.map((t) => t.id),
      topics,
      taxonomyVersion: deps.taxonomy.version,
      rejected: [],
    });
    const after = await repo.snapshotPapers([...before.keys()]);
    return appendEventsByType(
      trx,
      [...before].flatMap(([id, old]) => {
        const now = after.get(id);
        return now ? updatedEvent(old, now) : [];
      }),
    );
  });
  countEmittedEvents(deps.metrics, events);
}
