import {
  appendEventsByType,
  CrawlRepository,
  type Database,
  type Db,
  type EnrichKind,
  EnrichmentRepository,
  type FactRow,
  type NewPaper,
  type PaperRepository,
  type PaperUpdate,
  type TopicRow,
} from '@paperboy/db';
import { countEmittedEvents, type Metrics } from '@paperboy/metrics';
import {
  clampRank,
  classify,
  collapseBatch,
  countsAreCanonical,
  dedupeLockKeys,
  detailsAreCanonical,
  entryLink,
  type KnownPaper,
  type NearDuplicateCandidate,
  type NormalizedEntry,
  type Resolution,
  resolveEntry,
  sanitizeRaw,
  sanitizeReason,
  type Taxonomy,
} from '@paperboy/pipeline';
import type { IngestEntriesResult } from '@paperboy/queue';
import type { Transaction } from 'kysely';
import { batchPaperEvents } from './paper-events.js';

export interface BatchContext {
  source: string;
  listing: string;
  seenAt: Date;
  fetchId: number | null;
  /**
   * The adapter that read the listing (decides whether its links and counts are canonical);
   * defaults to `source`, as for one-off ingests and jobs queued before the field existed.
   */
  adapter?: string;
  /** The crawl and chunk this batch belongs to: its counts are recorded for source health. */
  crawl?: { id: number; chunk: number };
}

export interface Rejected {
  rank: number;
  reason: string;
  raw: unknown;
}

export interface StoreSettings {
  taxonomy: Taxonomy;
  nearDuplicateThreshold: number;
  /** Enrichment kinds on (PAPERBOY_ENRICH): new papers with an arXiv id are marked due for them. None by default. */
  enrich?: readonly EnrichKind[];
  /** Upvote counts whose crossing is a paper.trending event (PAPERBOY_EVENT_UPVOTE_THRESHOLDS). None by default. */
  upvoteThresholds?: readonly number[];
  /** Where the events written are counted, once their transaction committed. */
  metrics?: Metrics;
}

/**
 * The enrichments a paper first stored from `adapter` is due for: each kind on, except the one of
 * the adapter's own site (a paper read from arXiv needs no arXiv API call for what its feed gave,
 * nor one from Hugging Face the paper API). Papers without an arXiv id have none: both APIs key on it.
 */
export function enrichKindsFor(adapter: string, kinds: readonly EnrichKind[]): EnrichKind[] {
  return kinds.filter(
    (kind) => !(kind === 'arxiv' && adapter.startsWith('arxiv')) && !(kind === 'hf' && adapter.startsWith('hf')),
  );
}

function groupBy<T, K>(items: readonly T[], key: (item: T) => K): Map<K, T[]> {
  const map = new Map<K, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = map.get(k);
    if (list) list.push(item);
    else map.set(k, [item]);
  }
  return map;
}

/** Deadlocks and unique violations between concurrent batches are resolved by running the transaction again. */
const TRANSIENT = new Set(['40P01', '40001', '23505']);

const sqlState = (error: unknown): string => {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : '';
};

/**
 * Errors the data of an entry causes, not the database's state: class 22 (data exception: a value
 * out of range, an invalid byte sequence, a bad escape) and class 54 (program limit exceeded: an index
 * row too large). Running the same batch again cannot help; storing it without the entry does.
 */
export function isDataError(error: unknown): boolean {
  const code = sqlState(error);
  return code.startsWith('22') || code.startsWith('54');
}

/** How many times entries that fail in the database are looked for and set aside before giving up. */
const ISOLATION_ROUNDS = 3;

/**
 * Stores one batch in one transaction: dedupe look-ups under advisory locks, then one
 * multi-row statement per table. Safe to run twice (a retried job): constraints and
 * ON CONFLICT make the second run write no second paper, alias or sighting.
 *
 * Normalization bounds every field, so the database should accept every entry; should one still
 * fail with a data error, it is found by bisection (trial runs that are rolled back) and recorded
 * in rejected_entries with the database's message, and the rest of the batch is stored: one entry
 * never costs the others. Any other error (connection, deadlock after retries) is thrown, so the
 * job is retried.
 */
export async function storeBatch(
  db: Db,
  repository: PaperRepository,
  context: BatchContext,
  entries: readonly NormalizedEntry[],
  rejected: readonly Rejected[],
  settings: StoreSettings,
): Promise<IngestEntriesResult> {
  let good = entries;
  let bad = rejected;
  for (let round = 0; ; round++) {
    try {
      const { result, events } = await withTransientRetries(() =>
        db.transaction().execute((trx) => storeInTransaction(trx, repository, context, good, bad, settings)),
      );
      countEmittedEvents(settings.metrics, events);
      return result;
    } catch (error) {
      if (!isDataError(error) || round >= ISOLATION_ROUNDS) throw error;
      const failing = await findFailingEntries(db, repository, context, good, settings, error);
      // Not any one entry's data (the rejected rows, the batch's own fields): storing again cannot help.
      if (failing.size === 0) throw error;
      good = good.filter((entry) => !failing.has(entry));
      bad = [
        ...bad,
        ...[...failing].map(([entry, message]) => ({
          rank: entry.rank,
          reason: `refused by the database: ${message}`,
          raw: entry,
        })),
      ];
    }
  }
}

async function withTransientRetries<T>(run: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (error) {
      if (attempt >= 3 || !TRANSIENT.has(sqlState(error))) throw error;
    }
  }
}

const ROLLBACK = Symbol('rollback');

/**
 * The entries that fail on their own, each with the database's message: halves of a failing set are
 * tried in transactions that are always rolled back, down to single entries. Costs about
 * 2·k·log2(n) trial runs for k failing entries among n, and only runs when a batch failed.
 */
async function findFailingEntries(
  db: Db,
  repository: PaperRepository,
  context: BatchContext,
  entries: readonly NormalizedEntry[],
  settings: StoreSettings,
  firstError: unknown,
): Promise<Map<NormalizedEntry, string>> {
  const failing = new Map<NormalizedEntry, string>();
  const trial = async (part: readonly NormalizedEntry[]): Promise<unknown> => {
    try {
      await withTransientRetries(() =>
        db.transaction().execute(async (trx) => {
          await storeInTransaction(trx, repository, { ...context, crawl: undefined }, part, [], settings);
          throw ROLLBACK;
        }),
      );
    } catch (error) {
      if (error === ROLLBACK) return null;
      if (isDataError(error)) return error;
      throw error;
    }
    return null;
  };
  const bisect = async (part: readonly NormalizedEntry[], error: unknown): Promise<void> => {
    if (!error) return;
    if (part.length === 1) {
      failing.set(part[0]!, (error as Error).message);
      return;
    }
    const half = Math.ceil(part.length / 2);
    for (const piece of [part.slice(0, half), part.slice(half)]) {
      if (piece.length > 0) await bisect(piece, await trial(piece));
    }
  };
  await bisect(entries, entries.length === 1 ? firstError : await trial(entries));
  return failing;
}

async function storeInTransaction(
  trx: Transaction<Database>,
  repository: PaperRepository,
  context: BatchContext,
  entries: readonly NormalizedEntry[],
  rejected: readonly Rejected[],
  settings: StoreSettings,
): Promise<{ result: IngestEntriesResult; events: Record<string, number> }> {
  const { unique, repeats } = collapseBatch(entries);
  const repo = repository.withTransaction(trx);
  await repo.lockDedupeKeys(dedupeLockKeys(unique));

  const lookups = await lookUp(repo, context.source, unique, settings.nearDuplicateThreshold);
  let resolutions = unique.map((entry) => resolveEntry(entry, lookups, settings.nearDuplicateThreshold));

  // Entries without an arXiv id that would create a paper: serialize them globally and look again,
  // since a concurrent batch may have just created a near-duplicate our locks did not cover.
  if (unique.some((entry, i) => !entry.arxivId && resolutions[i]!.kind === 'new')) {
    await repo.lockIdlessPaperCreation();
    const fresh = await lookUp(repo, context.source, unique, settings.nearDuplicateThreshold);
    resolutions = unique.map((entry) => resolveEntry(entry, fresh, settings.nearDuplicateThreshold));
  }

  const toCreate: NormalizedEntry[] = [];
  const toMerge = new Map<number, NormalizedEntry>();
  const paperOf = new Map<NormalizedEntry, number>();
  unique.forEach((entry, i) => {
    const resolution: Resolution = resolutions[i]!;
    if (resolution.kind === 'new') toCreate.push(entry);
    else if (!toMerge.has(resolution.paperId)) {
      toMerge.set(resolution.paperId, entry);
      paperOf.set(entry, resolution.paperId);
    } else {
      paperOf.set(entry, resolution.paperId);
    }
  });

  const adapter = context.adapter ?? context.source;
  const countsCanonical = countsAreCanonical(adapter);
  const detailsCanonical = detailsAreCanonical(adapter);
  // Versions come from the arXiv and Hugging Face adapters only: another listing may write any "v9".
  const versionOf = (entry: NormalizedEntry) => (detailsCanonical && entry.arxivId ? entry.version : null);
  const row = (entry: NormalizedEntry): NewPaper => {
    const link = entryLink(entry, adapter);
    return {
      arxivId: entry.arxivId,
      title: entry.title,
      titleKey: entry.titleKey,
      abstract: entry.abstract,
      authors: entry.authors,
      authorKeys: entry.authorKeys,
      categories: entry.categories,
      url: link.url,
      urlOrigin: link.origin,
      source: context.source,
      countsCanonical,
      publishedAt: entry.publishedAt,
      upvotes: entry.upvotes,
      comments: entry.comments,
      seenAt: context.seenAt,
      details: entry.details,
      detailsCanonical,
      version: versionOf(entry),
    };
  };

  const created = await repo.insertPapers(toCreate.map(row));
  for (const [i, entry] of toCreate.entries()) paperOf.set(entry, created[i]!.id);
  // Enrichment work is marked in this transaction: it commits with the papers or not at all.
  const kinds = enrichKindsFor(adapter, settings.enrich ?? []);
  if (kinds.length > 0) {
    await new EnrichmentRepository(trx).markDue(
      created.flatMap((paper) => (paper.arxivId ? kinds.map((kind) => ({ paperId: paper.id, kind })) : [])),
    );
  }
  const merges = [...toMerge].sort(([a], [b]) => a - b);
  // Locked, and read as they are before the merge: the events say what this batch changed.
  const before = await repo.snapshotPapers(
    merges.map(([id]) => id),
    { lock: true },
  );
  const mergedTexts = await repo.mergeIntoPapers(merges.map(([id, entry]): PaperUpdate => ({ ...row(entry), id })));

  // Classify what is now stored: a new paper's text is the entry's; a merge may have filled in an
  // abstract the entry lacked, so merged papers are classified as the merge left them.
  const paperIds = [...new Set(paperOf.values())];
  const texts = [
    ...toCreate.map((entry, i) => ({
      id: created[i]!.id,
      title: entry.title,
      abstract: entry.abstract,
      categories: entry.categories,
      primaryCategory: entry.details.primaryCategory,
    })),
    // Stored categories are sorted: the stored primary category says which one it is.
    ...mergedTexts,
  ];
  const topics: TopicRow[] = texts.flatMap((paper) =>
    classify(paper, settings.taxonomy).map((topic, position) => ({
      paperId: paper.id,
      topicId: topic.id,
      score: topic.score,
      position,
      evidence: topic.evidence,
    })),
  );

  const { newAliases } = await repo.recordBatch({
    source: context.source,
    aliases: unique.map((entry) => ({
      externalId: entry.externalId,
      paperId: paperOf.get(entry)!,
      seenAt: context.seenAt,
    })),
    sightings: unique.map((entry) => ({
      paperId: paperOf.get(entry)!,
      source: context.source,
      listing: context.listing,
      rank: entry.rank,
      upvotes: entry.upvotes,
      comments: entry.comments,
      stars: entry.details.codeStars,
      seenAt: context.seenAt,
      fetchId: context.fetchId,
    })),
    facts: entryFacts(unique, paperOf, context),
    versions: dedupeBy(
      unique.flatMap((entry) => {
        const version = versionOf(entry);
        return version === null
          ? []
          : [{ paperId: paperOf.get(entry)!, version, source: context.source, seenAt: context.seenAt }];
      }),
      (v) => `${v.paperId}/${v.version}`,
    ),
    classifiedPaperIds: paperIds,
    topics,
    taxonomyVersion: settings.taxonomy.version,
    // Bounded and made storable here, whatever a caller passed: a rejection must never fail the batch.
    rejected: rejected.map((r) => ({
      rank: clampRank(r.rank),
      reason: sanitizeReason(r.reason),
      raw: sanitizeRaw(r.raw),
      fetchId: context.fetchId,
      source: context.source,
      listing: context.listing,
      seenAt: context.seenAt,
    })),
  });

  // merged: an existing paper this source had not shown before (across sources, or by title);
  // updated: an existing paper this source already knew.
  let merged = 0;
  let updated = 0;
  unique.forEach((entry, i) => {
    if (resolutions[i]!.kind === 'new') return;
    if (newAliases.has(entry.externalId)) merged++;
    else updated++;
  });
  const result = {
    entries: entries.length + rejected.length,
    new: created.length,
    updated,
    merged,
    rejected: rejected.length,
    repeats,
  };
  if (context.crawl) await new CrawlRepository(trx).recordBatch(context.crawl.id, context.crawl.chunk, result);

  // The events of the batch, in its transaction (issue 15): they exist exactly when the papers do.
  const after = await repo.snapshotPapers(paperIds);
  const events = await appendEventsByType(
    trx,
    batchPaperEvents({
      created: toCreate.map((entry, i) => ({
        paperId: created[i]!.id,
        source: context.source,
        listing: context.listing,
        rank: entry.rank,
      })),
      before,
      after,
      upvoteThresholds: settings.upvoteThresholds ?? [],
    }),
  );
  return { result, events };
}

/** The first item of each key, in order. */
function dedupeBy<T>(items: readonly T[], key: (item: T) => string): T[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    const k = key(item);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/**
 * Every value the entries gave, as facts of this source at this time (paper_facts): the details and
 * the categories, the empty ones left out. Two entries of one paper (merged by title): the first's.
 */
function entryFacts(
  entries: readonly NormalizedEntry[],
  paperOf: ReadonlyMap<NormalizedEntry, number>,
  context: BatchContext,
): FactRow[] {
  const facts: FactRow[] = [];
  for (const entry of entries) {
    const paperId = paperOf.get(entry)!;
    const values: Array<[string, unknown]> = [...Object.entries(entry.details), ['categories', entry.categories]];
    for (const [field, value] of values) {
      if (value === null || (Array.isArray(value) && value.length === 0)) continue;
      facts.push({ paperId, source: context.source, field, value, seenAt: context.seenAt });
    }
  }
  return dedupeBy(facts, (f) => `${f.paperId}/${f.field}`);
}

async function lookUp(repo: PaperRepository, source: string, entries: readonly NormalizedEntry[], threshold: number) {
  const known = await repo.findKnown(source, {
    arxivIds: entries.flatMap((e) => (e.arxivId ? [e.arxivId] : [])),
    externalIds: entries.map((e) => e.externalId),
    titleKeys: entries.map((e) => e.titleKey),
  });
  const idless = entries.filter((e) => !e.arxivId);
  const near = await repo.findNearDuplicates(
    idless.map((e) => ({ key: e.externalId, titleKey: e.titleKey })),
    threshold,
  );
  const nearDuplicates = new Map<string, NearDuplicateCandidate[]>();
  for (const [key, rows] of groupBy(near, (r) => r.key)) {
    nearDuplicates.set(
      key,
      rows.map((r) => ({ paperId: r.paperId, similarity: r.similarity, authorKeys: r.authorKeys })),
    );
  }
  return {
    byArxivId: new Map(known.byArxivId.map((r) => [r.arxivId!, r as KnownPaper])),
    byAlias: new Map(known.aliases.map((a) => [a.externalId, a.paperId])),
    byTitleKey: new Map(
      [...groupBy(known.byTitleKey, (r) => r.titleKey)].map(([k, rows]) => [k, rows as KnownPaper[]]),
    ),
    nearDuplicates,
  };
}
