import { PaperRepository } from '@paperboy/db';
import { createMetrics } from '@paperboy/metrics';
import { eventTypes, isEventType, loadTaxonomy } from '@paperboy/pipeline';
import { createTestDatabase, type OutboxEventRow, outboxEvents, type TestDatabase } from '@paperboy/test-utils';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseEntries } from './handlers/ingest.handler.js';
import { type BatchContext, type StoreSettings, storeBatch } from './store-batch.js';

let t: TestDatabase;
let repo: PaperRepository;
const metrics = createMetrics();
const settings: StoreSettings = {
  taxonomy: loadTaxonomy(),
  nearDuplicateThreshold: 0.75,
  upvoteThresholds: [50, 100, 200],
  metrics,
};

beforeAll(async () => {
  t = await createTestDatabase();
  repo = new PaperRepository(t.db);
});
afterAll(async () => t?.drop());

const ctx = (source: string, seenAt: string): BatchContext => ({
  source,
  listing: `https://example.test/${source}`,
  seenAt: new Date(seenAt),
  fetchId: null,
});

async function store(context: BatchContext, raw: unknown[]) {
  const { entries, rejected } = parseEntries(raw);
  return storeBatch(t.db, repo, context, entries, rejected, settings);
}

/** Checks each event against its type's schema and version. */
function expectValid(list: readonly OutboxEventRow[]): void {
  for (const e of list) {
    expect(isEventType(e.type), e.type).toBe(true);
    if (!isEventType(e.type)) continue;
    expect(e.version).toBe(eventTypes[e.type].version);
    const parsed = eventTypes[e.type].data.safeParse(e.data);
    expect(parsed.success, `${e.type} ${JSON.stringify(e.data)}`).toBe(true);
  }
}

let seen = 0;
/** The events written since the last call. */
async function fresh(): Promise<OutboxEventRow[]> {
  const list = await outboxEvents(t.db);
  expectValid(list);
  const added = list.slice(seen);
  seen = list.length;
  return added;
}

const emitted = async (type: string) =>
  (await metrics.registry.getSingleMetric('paperboy_events_emitted_total')?.get())?.values.find(
    (v) => v.labels.type === type,
  )?.value ?? 0;

const sparse = {
  rank: 1,
  arxivId: '2607.20001',
  title: 'Sparse Attention for Long-Context Language Models',
  abstract: 'We study large language models and attention.',
  authors: ['Ada Lovelace'],
  upvotes: 10,
};
const diffusion = {
  rank: 2,
  arxivId: '2607.20002',
  title: 'Diffusion Models for Image Synthesis',
  abstract: 'A denoising diffusion model generates images.',
  authors: ['Alan Turing'],
  upvotes: 60,
};

describe('ingest events', () => {
  beforeEach(async () => {
    await fresh();
  });

  it('writes paper.created for each new paper (with its topics), then the thresholds a new paper starts above', async () => {
    await store(ctx('hf-papers', '2026-07-30T08:00:00Z'), [sparse, diffusion]);
    const written = await fresh();
    expect(written.map((e) => [e.type, (e.data as { paper: { arxivId: string } }).paper.arxivId])).toEqual([
      ['paper.created', '2607.20001'],
      ['paper.created', '2607.20002'],
      ['paper.trending', '2607.20002'],
    ]);
    const created = written[0]!;
    const stored = await t.db
      .selectFrom('papers')
      .select('id')
      .where('arxiv_id', '=', '2607.20001')
      .executeTakeFirstOrThrow();
    expect(created.paperId).toBe(stored.id);
    expect(created.data).toMatchObject({
      source: 'hf-papers',
      listing: 'https://example.test/hf-papers',
      rank: 1,
      paper: { id: stored.id, title: sparse.title, authors: ['Ada Lovelace'], upvotes: 10 },
    });
    const topics = (created.data as { paper: { topics: string[] } }).paper.topics;
    expect(topics.length).toBeGreaterThan(0);
    expect(created.topics).toEqual(topics);
    expect(written[2]!.data).toMatchObject({ reason: 'upvotes', threshold: 50, rank: null });
    // One transaction: every event of the batch has the same position's transaction.
    expect(new Set(written.map((e) => e.position.tx)).size).toBe(1);
    expect(await emitted('paper.created')).toBe(2);
  });

  it('writes nothing for a re-crawl of an unchanged listing, nor for upvotes that cross no threshold', async () => {
    await store(ctx('hf-papers', '2026-07-30T09:00:00Z'), [sparse, diffusion]);
    expect(await fresh()).toEqual([]);
    await store(ctx('hf-papers', '2026-07-30T10:00:00Z'), [
      { ...sparse, upvotes: 12 },
      { ...diffusion, upvotes: 70 },
    ]);
    expect(await fresh()).toEqual([]);
  });

  it('writes paper.updated with what changed (from, to), and one paper.trending per threshold crossed, once ever', async () => {
    await store(ctx('hf-papers', '2026-07-30T11:00:00Z'), [
      { ...sparse, upvotes: 150, githubRepo: 'https://github.com/example/sparse' },
    ]);
    const written = await fresh();
    expect(written.map((e) => e.type)).toEqual(['paper.updated', 'paper.trending', 'paper.trending']);
    expect((written[0]!.data as { changes: unknown }).changes).toEqual({
      codeUrl: { from: null, to: 'https://github.com/example/sparse' },
    });
    expect(written.slice(1).map((e) => (e.data as { threshold: number }).threshold)).toEqual([50, 100]);
    // Down and up again: thresholds already announced are not announced again.
    await store(ctx('hf-papers', '2026-07-30T12:00:00Z'), [{ ...sparse, upvotes: 40 }]);
    await store(ctx('hf-papers', '2026-07-30T13:00:00Z'), [{ ...sparse, upvotes: 210 }]);
    const again = await fresh();
    expect(again.map((e) => [e.type, (e.data as { threshold: number }).threshold])).toEqual([['paper.trending', 200]]);
  });

  it('a retried batch (the same batch twice) writes its events once', async () => {
    const fresh3 = {
      rank: 3,
      arxivId: '2607.20003',
      title: 'Retrieval-Augmented Generation at Scale',
      authors: ['Grace Hopper'],
      upvotes: 120,
    };
    await store(ctx('hf-papers', '2026-07-30T14:00:00Z'), [fresh3]);
    await store(ctx('hf-papers', '2026-07-30T14:00:00Z'), [fresh3]);
    expect((await fresh()).map((e) => [e.type, (e.data as { threshold?: number }).threshold ?? null])).toEqual([
      ['paper.created', null],
      ['paper.trending', 50],
      ['paper.trending', 100],
    ]);
  });

  it('a change of topics (a new abstract for a new arXiv version) is a paper.updated naming the topics', async () => {
    await store(ctx('arxiv-list', '2026-07-31T08:00:00Z'), [
      {
        ...diffusion,
        rank: 1,
        version: 2,
        upvotes: undefined,
        abstract: 'We instead study reinforcement learning agents and robot policies.',
      },
    ]);
    const written = await fresh();
    expect(written.map((e) => e.type)).toEqual(['paper.updated']);
    const changes = (written[0]!.data as { changes: Record<string, { from: unknown; to: unknown }> }).changes;
    expect(changes.abstract).toEqual({
      from: diffusion.abstract,
      to: 'We instead study reinforcement learning agents and robot policies.',
    });
    expect(changes.latestVersion).toEqual({ from: null, to: 2 });
    expect(Object.keys(changes)).toContain('topics');
    expect(written[0]!.topics).toEqual((changes.topics!.to as string[]) ?? []);
  });
});
