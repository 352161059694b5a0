import { randomBytes } from 'node:crypto';
import { DigestRepository, ExportRepository, PaperRepository, ReadRepository } from '@paperboy/db';
import { entryDetails, loadTaxonomy, type NormalizedEntry } from '@paperboy/pipeline';
import { countRows, createTestDatabase, type TestDatabase } from '@paperboy/test-utils';
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

const ctx = (source: string, seenAt: Date, adapter?: string): BatchContext => ({
  source,
  listing: `https://${source}.test/list`,
  seenAt,
  fetchId: null,
  ...(adapter ? { adapter } : {}),
});

/** The real path of an ingest job: parse and normalize the raw entries, then store them. */
async function store(context: BatchContext, raw: unknown[]) {
  const { entries, rejected } = parseEntries(raw);
  return storeBatch(t.db, repo, context, entries, rejected, settings);
}

const paper = (arxivId: string) =>
  t.db.selectFrom('papers').selectAll().where('arxiv_id', '=', arxivId).executeTakeFirst();
const rejectedOf = (source: string) =>
  t.db
    .selectFrom('rejected_entries')
    .select(['rank', 'reason', 'raw'])
    .where('source', '=', source)
    .orderBy('rank')
    .execute();

const good = (n: number) => ({
  rank: 100 + n,
  arxivId: `2609.${30000 + n}`,
  title: `A perfectly ordinary paper number ${n}`,
  upvotes: n,
});

describe('one hostile entry never costs the good entries of its batch', () => {
  it('stores every good entry; hostile values are stored sanitized or rejected with a reason', async () => {
    const hostile = [
      {
        rank: 1,
        arxivId: '2609.20001',
        title: 'NUL\u0000 in the title',
        abstract: 'and\u0000 in the abstract',
        authors: ['A\u0000 B'],
      },
      { rank: 2, arxivId: '2609.20002', title: 'Lone \ud800 surrogate \udc00 here', authors: ['Bad \udfff Name'] },
      { rank: 3, arxivId: '2609.20003', title: 'Upvotes beyond int4', upvotes: 2 ** 31, comments: 2 ** 53 },
      { rank: 4, title: `${'Long title '.repeat(2_000)}`, externalId: 'q'.repeat(5_000), url: 'https://x.test/long' },
      { rank: 5, title: 'A year beyond 9999', arxivId: '2609.20005', publishedAt: '+010000-01-01T00:00:00.000Z' },
      { rank: 2 ** 33, title: 'Rank beyond int4', arxivId: '2609.20006' },
      { rank: 7, title: '\u0000\u0001\u0002', arxivId: '\u0000' }, // nothing left: rejected with a reason
    ];
    const raw = [good(1), ...hostile, good(2), good(3)];
    const result = await store(ctx('hostile', new Date('2026-09-01T08:00:00Z'), 'hf-papers'), raw);
    expect(result.entries).toBe(raw.length);
    for (const n of [1, 2, 3]) expect(await paper(`2609.${30000 + n}`)).toBeDefined();
    expect((await paper('2609.20001'))!.title).toBe('NUL in the title');
    expect((await paper('2609.20002'))!.title).toBe('Lone \ufffd surrogate \ufffd here');
    expect((await paper('2609.20003'))!.upvotes).toBe(2 ** 31 - 1);
    expect((await paper('2609.20005'))!.published_at).toBeNull();
    expect(await paper('2609.20006')).toBeDefined();
    const long = await t.db
      .selectFrom('papers')
      .select('title')
      .where('title', 'like', 'Long title%')
      .executeTakeFirst();
    expect(long).toBeDefined();
    const rejected = await rejectedOf('hostile');
    expect(rejected).toHaveLength(1);
    expect(rejected[0]!.reason).toBe('entry has neither title nor arXiv id');
    expect(result.rejected).toBe(1);
  });

  it('isolates what still fails in the database: the failing entry is rejected with the SQL error, the rest stored', async () => {
    // Entries that bypass normalization (as a future field or bug might): the store must still isolate them.
    const entry = (n: number, over: Partial<NormalizedEntry> = {}): NormalizedEntry => ({
      rank: n,
      arxivId: `2609.${40000 + n}`,
      externalId: `2609.${40000 + n}`,
      title: `Isolation paper ${n}`,
      titleKey: `isolation paper ${n}`,
      abstract: null,
      authors: [],
      authorKeys: [],
      categories: [],
      url: null,
      upvotes: n,
      comments: null,
      publishedAt: null,
      version: null,
      details: entryDetails({ rank: n }),
      ...over,
    });
    const entries = [
      entry(1),
      entry(2, { upvotes: 2 ** 31 }), // 22003 numeric out of range
      entry(3),
      entry(4, { title: 'nul \u0000 here' }), // 22P05 unsupported Unicode escape sequence
      entry(5, { titleKey: randomBytes(6_000).toString('base64') }), // 54000 index row size exceeds btree maximum (incompressible)
      entry(6),
      // Details that bypass normalization: they fail in the papers columns, paper_facts or sightings.stars.
      entry(7, { details: { ...entryDetails({ rank: 7 }), codeStars: 2 ** 31, codeUrl: 'https://github.com/a/b' } }),
      entry(8, { details: { ...entryDetails({ rank: 8 }), aiSummary: 'nul \u0000 in a summary' } }),
      entry(9, { details: { ...entryDetails({ rank: 9 }), aiSummary: 'A fine summary.', codeStars: 4 } }),
    ];
    const result = await storeBatch(
      t.db,
      repo,
      ctx('isolate', new Date('2026-09-02T08:00:00Z')),
      entries,
      [],
      settings,
    );
    for (const n of [1, 3, 6, 9]) expect(await paper(`2609.${40000 + n}`)).toBeDefined();
    for (const n of [2, 4, 5, 7, 8]) expect(await paper(`2609.${40000 + n}`)).toBeUndefined();
    const rejected = await rejectedOf('isolate');
    expect(rejected.map((r) => r.rank)).toEqual([2, 4, 5, 7, 8]);
    expect(rejected[0]!.reason).toMatch(/out of range/);
    expect(rejected[1]!.reason).toMatch(/Unicode escape|0x00/);
    expect(rejected[2]!.reason).toMatch(/index row|btree/i);
    expect(rejected[3]!.reason).toMatch(/out of range/);
    expect(rejected[4]!.reason).toMatch(/Unicode escape|0x00/);
    expect(result).toMatchObject({ entries: 9, new: 4, rejected: 5 });
    expect(await countRows(t.db, 'sightings', ['source', '=', 'isolate'])).toBe(4);
    // A source that is no canonical adapter: its details are facts, not the arXiv paper's current values.
    expect(await paper('2609.40009')).toMatchObject({ ai_summary: null, code_stars: null });
    expect(await countRows(t.db, 'paper_facts', ['source', '=', 'isolate'])).toBe(2);
  });

  it('still throws on transient errors, so the job is retried', async () => {
    class Flaky extends PaperRepository {
      override withTransaction(...args: Parameters<PaperRepository['withTransaction']>) {
        const inner = super.withTransaction(...args);
        inner.insertPapers = async () => {
          throw Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' });
        };
        return inner;
      }
    }
    const { entries } = parseEntries([good(50)]);
    await expect(
      storeBatch(t.db, new Flaky(t.db), ctx('flaky', new Date('2026-09-03T08:00:00Z')), entries, [], settings),
    ).rejects.toThrow(/administrator/);
    expect(await rejectedOf('flaky')).toHaveLength(0);
  });
});

describe('provenance: a generic listing cannot plant a link or upvotes', () => {
  it('keeps the canonical link and the trusted upvotes; records where each came from', async () => {
    const seen = new Date(Date.now() - 3 * 3600_000);
    await store(ctx('hf-papers', seen, 'hf-papers'), [
      {
        rank: 1,
        arxivId: '2609.50001',
        title: 'Trusted Paper on Sparse Attention',
        url: 'https://huggingface.co/papers/2609.50001',
        upvotes: 12,
      },
    ]);
    // A generic source seen later lists the same paper with its own link and a huge count.
    await store(ctx('evil-list', new Date(seen.getTime() + 3600_000), 'generic'), [
      {
        rank: 1,
        arxivId: '2609.50001',
        title: 'Trusted Paper on Sparse Attention',
        url: 'https://evil.test/phish',
        upvotes: 99999,
      },
      {
        rank: 2,
        arxivId: '2609.50002',
        title: 'Only on the generic listing',
        url: 'https://evil.test/other',
        upvotes: 99999,
      },
    ]);
    const p = (await paper('2609.50001'))!;
    expect(p.url).toBe('https://huggingface.co/papers/2609.50001');
    expect(p.upvotes).toBe(12);
    expect(p).toMatchObject({
      url_source: 'hf-papers',
      url_origin: 'canonical',
      counts_source: 'hf-papers',
      counts_origin: 'canonical',
    });
    // The generic source's count is kept, as its own sighting.
    const sightings = await t.db
      .selectFrom('sightings')
      .select(['source', 'upvotes'])
      .where('paper_id', '=', p.id)
      .orderBy('source')
      .execute();
    expect(sightings).toEqual([
      { source: 'evil-list', upvotes: 99999 },
      { source: 'hf-papers', upvotes: 12 },
    ]);

    // An arXiv paper only a generic listing showed: the arXiv link, not the listing's; no headline count.
    const other = (await paper('2609.50002'))!;
    expect(other.url).toBe('https://arxiv.org/abs/2609.50002');
    expect(other.upvotes).toBeNull();
    expect(other).toMatchObject({ url_source: 'evil-list', url_origin: 'arxiv' });

    // What readers see: digest candidates, the read API, the export.
    const digest = new DigestRepository(t.db);
    const [candidate] = await digest.papersByIds([p.id], new Map());
    expect(candidate).toMatchObject({ url: 'https://huggingface.co/papers/2609.50001', upvotes: 12 });
    expect((await digest.rankedCandidates()).find((c) => c.id === p.id)?.upvotes).toBe(12);
    expect((await new ReadRepository(t.db).paperWithHistory('2609.50001'))?.upvotes).toBe(12);
    let exported: { upvotes: number | null } | undefined;
    for await (const row of new ExportRepository(t.db).streamPapers()) if (row.arxivId === '2609.50001') exported = row;
    expect(exported?.upvotes).toBe(12);

    // A canonical source that arrives later takes over both fields.
    await store(ctx('hf-papers', new Date(seen.getTime() + 2 * 3600_000), 'hf-papers'), [
      {
        rank: 3,
        arxivId: '2609.50002',
        title: 'Only on the generic listing',
        url: 'https://huggingface.co/papers/2609.50002',
        upvotes: 4,
      },
    ]);
    expect(await paper('2609.50002')).toMatchObject({
      url: 'https://huggingface.co/papers/2609.50002',
      upvotes: 4,
      url_origin: 'canonical',
      counts_source: 'hf-papers',
    });
  });

  it('a listing is still the only voice for papers without an arXiv id', async () => {
    await store(ctx('blog', new Date('2026-09-04T08:00:00Z'), 'generic'), [
      { rank: 1, title: 'A blog-only paper about graphs', url: 'https://blog.test/p', upvotes: 7 },
    ]);
    const p = await t.db
      .selectFrom('papers')
      .selectAll()
      .where('title', '=', 'A blog-only paper about graphs')
      .executeTakeFirstOrThrow();
    expect(p).toMatchObject({
      url: 'https://blog.test/p',
      upvotes: 7,
      url_origin: 'listing',
      url_source: 'blog',
      counts_origin: 'listing',
      counts_source: 'blog',
    });
  });
});
