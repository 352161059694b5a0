import { PaperRepository } from '@paperboy/db';
import { loadTaxonomy } from '@paperboy/pipeline';
import { countDuplicateTitleKeys, countRows, createTestDatabase, type TestDatabase } from '@paperboy/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEntries } from './handlers/ingest.handler.js';
import { type BatchContext, storeBatch } from './store-batch.js';

let t: TestDatabase;
let repo: PaperRepository;
const settings = { taxonomy: loadTaxonomy(), nearDuplicateThreshold: 0.75 };

beforeAll(async () => {
  t = await createTestDatabase();
  repo = new PaperRepository(t.db);
});
afterAll(async () => t?.drop());

const ctx = (source: string, seenAt: string, listing = `https://example.test/${source}`): BatchContext => ({
  source,
  listing,
  seenAt: new Date(seenAt),
  fetchId: null,
});

async function store(context: BatchContext, raw: unknown[]) {
  const { entries, rejected } = parseEntries(raw);
  return storeBatch(t.db, repo, context, entries, rejected, settings);
}

const count = (table: string, where?: [column: string, op: '=' | 'like', value: unknown]) =>
  countRows(t.db, table, where);

const paper = (arxivId: string) =>
  t.db.selectFrom('papers').selectAll().where('arxiv_id', '=', arxivId).executeTakeFirstOrThrow();

describe('storeBatch', () => {
  it('stores new papers with aliases, sightings and topics', async () => {
    const result = await store(ctx('hf-papers', '2026-07-30T08:00:00Z'), [
      {
        rank: 1,
        arxivId: '2607.10001',
        title: 'Sparse Attention for Long-Context Language Models',
        abstract: 'We study large language models and attention.',
        authors: ['Ada Lovelace'],
        upvotes: 10,
        comments: 2,
      },
      {
        rank: 2,
        arxivId: '2607.10002v2',
        title: 'Diffusion Models for Image Synthesis',
        abstract: 'A denoising diffusion model generates images.',
        authors: ['Alan Turing'],
        upvotes: 5,
      },
    ]);
    expect(result).toMatchObject({ entries: 2, new: 2, updated: 0, merged: 0, rejected: 0 });
    const p = await paper('2607.10002');
    expect(p.upvotes).toBe(5);
    expect(await count('sightings')).toBe(2);
    expect(await count('paper_aliases')).toBe(2);
    const topics = await t.db
      .selectFrom('paper_topics')
      .selectAll()
      .where('paper_id', '=', p.id)
      .orderBy('position')
      .execute();
    expect(topics.length).toBeGreaterThan(0);
    expect(topics[0]!.taxonomy_version).toBe(settings.taxonomy.version);
    expect(topics[0]!.evidence.length).toBeGreaterThan(0);
  });

  it('is idempotent: the same batch again writes no second paper, alias or sighting', async () => {
    const before = [await count('papers'), await count('sightings'), await count('paper_aliases')];
    const result = await store(ctx('hf-papers', '2026-07-30T08:00:00Z'), [
      { rank: 1, arxivId: '2607.10001', title: 'Sparse Attention for Long-Context Language Models', upvotes: 10 },
      { rank: 2, arxivId: '2607.10002', title: 'Diffusion Models for Image Synthesis', upvotes: 5 },
    ]);
    expect(result).toMatchObject({ new: 0, updated: 2, merged: 0 });
    expect([await count('papers'), await count('sightings'), await count('paper_aliases')]).toEqual(before);
  });

  it('keeps the latest counts and every sighting, whatever order observations arrive in', async () => {
    await store(ctx('hf-papers', '2026-07-31T08:00:00Z'), [
      { rank: 3, arxivId: '2607.10001', title: 'Sparse Attention for Long-Context Language Models', upvotes: 42 },
    ]);
    // A late retry of an older page must not overwrite newer upvotes.
    await store(ctx('hf-papers', '2026-07-29T08:00:00Z'), [
      { rank: 9, arxivId: '2607.10001', title: 'Sparse Attention for Long-Context Language Models', upvotes: 1 },
    ]);
    const p = await paper('2607.10001');
    expect(p.upvotes).toBe(42);
    expect(new Date(p.first_seen_at).toISOString()).toBe('2026-07-29T08:00:00.000Z');
    expect(new Date(p.last_seen_at).toISOString()).toBe('2026-07-31T08:00:00.000Z');
    const history = await t.db
      .selectFrom('sightings')
      .select(['rank', 'upvotes'])
      .where('paper_id', '=', p.id)
      .orderBy('seen_at')
      .execute();
    expect(history).toEqual([
      { rank: 9, upvotes: 1 },
      { rank: 1, upvotes: 10 },
      { rank: 3, upvotes: 42 },
    ]);
  });

  it('merges one paper across sources by arXiv id, keeping an alias per source and filling the abstract', async () => {
    await store(ctx('hf-papers', '2026-08-01T08:00:00Z'), [
      { rank: 1, arxivId: '2607.10003', title: 'Quantized Inference at Scale', upvotes: 3 },
    ]);
    expect((await paper('2607.10003')).abstract).toBeNull();
    const result = await store(ctx('arxiv-list', '2026-08-01T09:00:00Z'), [
      {
        rank: 1,
        arxivId: 'arXiv:2607.10003v1',
        title: 'Quantized  Inference at\nScale',
        abstract: 'We quantize weights to 4 bits.',
        categories: ['cs.LG'],
      },
    ]);
    expect(result).toMatchObject({ new: 0, merged: 1 });
    const p = await paper('2607.10003');
    expect(p.abstract).toBe('We quantize weights to 4 bits.');
    expect(p.categories).toEqual(['cs.LG']);
    const sources = await t.db
      .selectFrom('paper_aliases')
      .select('source')
      .where('paper_id', '=', p.id)
      .orderBy('source')
      .execute();
    expect(sources.map((s) => s.source)).toEqual(['arxiv-list', 'hf-papers']);
  });

  it('dedupes entries without id by normalized title, then by near-duplicate title with a shared author', async () => {
    await store(ctx('blog', '2026-08-02T08:00:00Z'), [
      {
        rank: 1,
        title: 'Mixture of Experts Routing with Learned Temperature',
        authors: ['Grace Hopper', 'Edsger Dijkstra'],
        url: 'https://blog.test/a',
      },
    ]);
    const exact = await store(ctx('forum', '2026-08-02T09:00:00Z'), [
      { rank: 1, title: 'mixture of experts routing with learned temperature!', url: 'https://forum.test/1' },
    ]);
    expect(exact).toMatchObject({ new: 0, merged: 1 });
    const near = await store(ctx('digest', '2026-08-02T10:00:00Z'), [
      {
        rank: 1,
        title: 'Mixture-of-Experts Routing With a Learned Temperature',
        authors: ['G. Hopper'],
        url: 'https://digest.test/x',
      },
    ]);
    expect(near).toMatchObject({ new: 0, merged: 1 });
    const unrelated = await store(ctx('digest', '2026-08-02T10:00:00Z'), [
      {
        rank: 2,
        title: 'Mixture of Experts Routing with Learned Temperatures',
        authors: ['Someone Else'],
        url: 'https://digest.test/y',
      },
    ]);
    expect(unrelated).toMatchObject({ new: 1, merged: 0 });
    expect(await count('papers', ['title_key', 'like', 'mixture of experts routing%'])).toBe(2);
  });

  it('records bad entries with their raw data and stores the good ones of the same batch', async () => {
    const result = await store(ctx('hf-papers', '2026-08-03T08:00:00Z'), [
      { rank: 1, arxivId: '2607.10004', title: '<script>alert("x")</script> &amp; $\\mathcal{O}(n)$ Attention' },
      { rank: 2, arxivId: '2607.10005' },
      { rank: 3 },
      'not an object',
      { rank: 'five', title: 'Bad rank' },
    ]);
    expect(result).toMatchObject({ entries: 5, new: 1, rejected: 4 });
    expect((await paper('2607.10004')).title).toBe('<script>alert("x")</script> &amp; $\\mathcal{O}(n)$ Attention');
    const rejected = await t.db.selectFrom('rejected_entries').select(['reason', 'raw']).orderBy('rank').execute();
    expect(rejected.map((r) => r.reason)).toEqual(
      expect.arrayContaining(['entry 2607.10005 has no title', 'entry has neither title nor arXiv id']),
    );
    expect(rejected.some((r) => r.raw === 'not an object')).toBe(true);
  });

  it('never creates two papers for one when concurrent batches overlap', async () => {
    const ids = Array.from({ length: 30 }, (_, i) => `2608.${String(20000 + i)}`);
    const batches = Array.from({ length: 12 }, (_, b) => {
      // Each batch takes an overlapping window, in a different order, plus title-only entries shared by all.
      const window = ids.slice((b * 2) % 20, ((b * 2) % 20) + 12);
      const entries: unknown[] = (b % 2 ? [...window].reverse() : window).map((id, i) => ({
        rank: i + 1,
        arxivId: id,
        title: `Concurrent paper ${id}`,
        upvotes: b,
      }));
      entries.push({ rank: 50, title: 'A Shared Title Without Any Identifier', url: `https://src${b % 3}.test/p` });
      return store(ctx(`src${b % 3}`, `2026-08-04T0${b % 10}:00:00Z`, `https://src${b % 3}.test/list/${b}`), entries);
    });
    await Promise.all(batches);
    expect(await count('papers', ['arxiv_id', 'like', '2608.%'])).toBe(30);
    expect(await count('papers', ['title_key', '=', 'a shared title without any identifier'])).toBe(1);
    expect(await countDuplicateTitleKeys(t.db)).toBe(0);
  });
});
