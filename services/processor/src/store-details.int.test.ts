import { readFileSync } from 'node:fs';
import { PaperRepository } from '@paperboy/db';
import { loadTaxonomy } from '@paperboy/pipeline';
import { countRows, createTestDatabase, type TestDatabase } from '@paperboy/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// The adapters themselves, on the real captures: what the fetcher would enqueue.
import { createPage, getAdapter } from '../../../packages/sources/src/index.js';
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

const fixtures = new URL('../../../packages/sources/test/fixtures/', import.meta.url);
const HF_URL = 'https://huggingface.co/api/daily_papers?limit=30';

/** Raw entries as an adapter reads them from a capture, through JSON as the queue carries them. */
function extract(adapter: string, path: string, url: string, contentType: string): unknown[] {
  const body = readFileSync(new URL(path, fixtures), 'utf8');
  const { entries } = getAdapter(adapter).extract(createPage(url, body, contentType));
  return JSON.parse(JSON.stringify(entries)) as unknown[];
}

const ctx = (source: string, seenAt: string, listing = `https://example.test/${source}`): BatchContext => ({
  source,
  listing,
  seenAt: new Date(seenAt),
  fetchId: null,
});

async function store(context: BatchContext, raw: unknown[]) {
  const { entries, rejected } = parseEntries(raw);
  expect(rejected).toEqual([]);
  return storeBatch(t.db, repo, context, entries, rejected, settings);
}

const paper = (arxivId: string) =>
  t.db.selectFrom('papers').selectAll().where('arxiv_id', '=', arxivId).executeTakeFirstOrThrow();
const facts = (paperId: number) =>
  t.db
    .selectFrom('paper_facts')
    .select(['source', 'field', 'value', 'seen_at'])
    .where('paper_id', '=', paperId)
    .orderBy('source')
    .orderBy('field')
    .execute();
const versions = (paperId: number) =>
  t.db
    .selectFrom('paper_versions')
    .select(['version', 'source', 'first_seen_at'])
    .where('paper_id', '=', paperId)
    .orderBy('version')
    .execute();
const snapshot = async () => ({
  papers: await countRows(t.db, 'papers'),
  sightings: await countRows(t.db, 'sightings'),
  facts: await countRows(t.db, 'paper_facts'),
  versions: await countRows(t.db, 'paper_versions'),
  factRows: await t.db.selectFrom('paper_facts').selectAll().orderBy(['paper_id', 'source', 'field']).execute(),
});

describe('storing what the sources give (issue 13)', () => {
  const hf = () => extract('hf-api', 'hf-api/hf-api-daily_papers-limit30-2026-06-13.json', HF_URL, 'application/json');

  it('keeps every field of the real Hugging Face capture: on the paper, as facts with source and time, stars on the sighting', async () => {
    const result = await store(ctx('hf-api', '2026-06-13T08:00:00Z', HF_URL), hf());
    expect(result).toMatchObject({ new: 30, rejected: 0 });

    const msa = await paper('2606.13392');
    expect(msa).toMatchObject({
      code_url: 'https://github.com/MiniMax-AI/MSA',
      code_stars: 251,
      details_source: 'hf-api',
      details_origin: 'canonical',
      latest_version: null,
    });
    expect(msa.details_seen_at).toEqual(new Date('2026-06-13T08:00:00Z'));
    expect(msa.ai_summary).toMatch(/\S/);
    expect(msa.ai_keywords.length).toBeGreaterThan(0);
    expect(msa.thumbnail).toBe('https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/2606.13392.png');

    const robust = await paper('2606.08063');
    expect(robust).toMatchObject({
      code_url: 'https://github.com/jqtangust/Robust-U1',
      code_stars: 86,
      project_page: 'https://huggingface.co/spaces/Jiaqi-hkust/Robust-U1',
    });
    const first = await paper('2606.00467');
    expect(first).toMatchObject({ organization: 'caltech', submitted_by: 'RKocielnik', code_url: null });
    expect(first.ai_keywords).toHaveLength(14);
    expect(first.ai_summary).toMatch(/^Large language models exhibit limited ability/);

    // As many as the capture carries: 16 with code, 13 with a project page, 2 with media, 30 with a summary.
    const counted = await t.db
      .selectFrom('papers')
      .select((eb) => [
        eb.fn.count<number>('code_url').as('code'),
        eb.fn.count<number>('project_page').as('project'),
        eb.fn.count<number>('ai_summary').as('summary'),
        eb.fn.count<number>('organization').as('organization'),
      ])
      .executeTakeFirstOrThrow();
    expect(counted).toEqual({ code: 16, project: 13, summary: 30, organization: 16 });
    expect(await countRows(t.db, 'papers', ['media_urls', '=', '{}'])).toBe(28);

    const msaFacts = await facts(msa.id);
    expect(msaFacts.map((f) => f.field)).toEqual(
      expect.arrayContaining(['aiKeywords', 'aiSummary', 'codeStars', 'codeUrl', 'submittedBy', 'thumbnail']),
    );
    expect(msaFacts.find((f) => f.field === 'codeStars')).toMatchObject({ source: 'hf-api', value: 251 });
    expect(msaFacts.every((f) => f.seen_at.toISOString() === '2026-06-13T08:00:00.000Z')).toBe(true);

    const sighting = await t.db
      .selectFrom('sightings')
      .select(['stars', 'upvotes'])
      .where('paper_id', '=', msa.id)
      .executeTakeFirstOrThrow();
    expect(sighting.stars).toBe(251);
  });

  it('is idempotent: the same batch again writes no second sighting, fact or version, and rewrites no fact', async () => {
    const before = await snapshot();
    await store(ctx('hf-api', '2026-06-13T08:00:00Z', HF_URL), hf());
    expect(await snapshot()).toEqual(before);
  });

  it('a later sighting with more stars: stars charted on sightings, the fact and the paper rewritten; a late retry of an older page changes neither', async () => {
    const raw = hf().map((e) =>
      (e as { externalId: string }).externalId === '2606.13392' ? { ...(e as object), githubStars: 300 } : e,
    );
    await store(ctx('hf-api', '2026-06-14T08:00:00Z', HF_URL), raw);
    const msa = await paper('2606.13392');
    expect(msa.code_stars).toBe(300);
    const stars = await t.db
      .selectFrom('sightings')
      .select(['stars', 'seen_at'])
      .where('paper_id', '=', msa.id)
      .orderBy('seen_at')
      .execute();
    expect(stars.map((s) => s.stars)).toEqual([251, 300]);
    const fact = (await facts(msa.id)).find((f) => f.field === 'codeStars');
    expect(fact).toMatchObject({ value: 300, seen_at: new Date('2026-06-14T08:00:00Z') });

    // An older observation arriving late (a retried job) with other stars: kept as a sighting only.
    const old = hf().map((e) =>
      (e as { externalId: string }).externalId === '2606.13392' ? { ...(e as object), githubStars: 200 } : e,
    );
    await store(ctx('hf-api', '2026-06-12T08:00:00Z', `${HF_URL}&old`), old);
    expect((await paper('2606.13392')).code_stars).toBe(300);
    expect((await facts(msa.id)).find((f) => f.field === 'codeStars')).toMatchObject({ value: 300 });
  });

  it('a paper first seen on Hugging Face, then on an arXiv listing as v2: one paper, version 2 recorded, categories and arXiv details stored', async () => {
    const before = await countRows(t.db, 'papers');
    const id = '2606.13681'; // EvoArena, in the HF capture (no version there)
    const hfPaper = await paper(id);
    expect(hfPaper.latest_version).toBeNull();
    expect(await versions(hfPaper.id)).toEqual([]);

    await store(ctx('arxiv-list', '2026-06-15T06:00:00Z', 'https://arxiv.org/list/cs.CL/new'), [
      {
        rank: 1,
        externalId: `${id}v2`,
        arxivId: `${id}v2`,
        url: `https://arxiv.org/abs/${id}v2`,
        section: 'replacement',
        version: 2,
        title: 'EvoArena: Tracking Memory Evolution for Robust LLM Agents in Dynamic Environments',
        authors: ['Jundong Xu', 'Qingchuan Li'],
        abstract: 'The replaced abstract of version 2.',
        primaryCategory: 'cs.CL',
        categories: ['cs.CL', 'cs.AI'],
        arxivComments: '9 pages, 4 figures',
        journalRef: 'Proc. ACL 2026',
        doi: '10.18653/v1/2026.acl-long.1',
      },
    ]);
    expect(await countRows(t.db, 'papers')).toBe(before);
    const merged = await paper(id);
    expect(merged.id).toBe(hfPaper.id);
    expect(merged).toMatchObject({
      latest_version: 2,
      primary_category: 'cs.CL',
      arxiv_comments: '9 pages, 4 figures',
      journal_ref: 'Proc. ACL 2026',
      doi: '10.18653/v1/2026.acl-long.1',
      // Hugging Face's values stay: arXiv gives none of these.
      code_url: 'https://github.com/Aiden0526/EvoArena',
      project_page: 'https://aiden0526.github.io/EvoArena/',
      details_source: 'arxiv-list',
      // A replacement updates the paper's text.
      abstract: 'The replaced abstract of version 2.',
    });
    expect(hfPaper.abstract).toMatch(/^Large language model \(LLM\) agents/);
    expect(merged.categories).toEqual(expect.arrayContaining(['cs.AI', 'cs.CL']));
    // The HF listing's authors (the whole list) stay: authors are filled, not replaced.
    expect(merged.authors).toEqual(hfPaper.authors);
    expect(await versions(merged.id)).toEqual([
      { version: 2, source: 'arxiv-list', first_seen_at: new Date('2026-06-15T06:00:00Z') },
    ]);
    const arxivFacts = (await facts(merged.id)).filter((f) => f.source === 'arxiv-list');
    expect(Object.fromEntries(arxivFacts.map((f) => [f.field, f.value]))).toEqual({
      arxivComments: '9 pages, 4 figures',
      categories: ['cs.CL', 'cs.AI'],
      doi: '10.18653/v1/2026.acl-long.1',
      journalRef: 'Proc. ACL 2026',
      primaryCategory: 'cs.CL',
    });

    // v3 later, then v2 again from a late retry: versions 2 and 3, each once; the latest is 3.
    await store(ctx('arxiv-rss', '2026-06-20T06:00:00Z', 'https://rss.arxiv.org/rss/cs.CL'), [
      { rank: 1, externalId: `${id}v3`, arxivId: `${id}v3`, title: 'EvoArena v3', version: 3, categories: ['cs.CL'] },
    ]);
    await store(ctx('arxiv-list', '2026-06-15T06:00:00Z', 'https://arxiv.org/list/cs.CL/new'), [
      { rank: 1, externalId: `${id}v2`, arxivId: `${id}v2`, title: 'EvoArena', version: 2 },
    ]);
    expect((await versions(merged.id)).map((v) => [v.version, v.source])).toEqual([
      [2, 'arxiv-list'],
      [3, 'arxiv-rss'],
    ]);
    expect((await paper(id)).latest_version).toBe(3);
    expect(await countRows(t.db, 'papers')).toBe(before);
  });

  it('a first v1 after Hugging Face is no replacement: the abstract stays, version 1 is recorded', async () => {
    const id = '2606.00467';
    const before = await paper(id);
    await store(ctx('arxiv-rss', '2026-06-15T06:00:00Z', 'https://rss.arxiv.org/rss/cs.CL'), [
      {
        rank: 1,
        externalId: `${id}v1`,
        arxivId: `${id}v1`,
        title: before.title,
        abstract: 'Another text.',
        version: 1,
      },
    ]);
    const after = await paper(id);
    expect(after.abstract).toBe(before.abstract);
    expect(after.latest_version).toBe(1);
    expect((await versions(after.id)).map((v) => v.version)).toEqual([1]);
  });

  it('classifies a merged paper with its stored primary category, not the first of its sorted categories', async () => {
    // Primary cs.SI (graphs), cross-listed in cs.IR (recommendation): stored sorted, cs.IR comes first.
    const entry = {
      rank: 1,
      arxivId: '2606.99101v1',
      title: 'Graph neural networks for recommendation',
      url: 'https://arxiv.org/abs/2606.99101v1',
      categories: ['cs.SI', 'cs.IR'],
      primaryCategory: 'cs.SI',
    };
    const best = async () =>
      (
        await t.db
          .selectFrom('paper_topics as pt')
          .innerJoin('papers as p', 'p.id', 'pt.paper_id')
          .select('pt.topic_id')
          .where('p.arxiv_id', '=', '2606.99101')
          .orderBy('pt.position')
          .executeTakeFirstOrThrow()
      ).topic_id;
    await store(ctx('arxiv-list', '2026-06-16T08:00:00Z', 'https://arxiv.org/list/cs.SI/new'), [entry]);
    expect((await paper('2606.99101')).primary_category).toBe('cs.SI');
    expect(await best()).toBe('graphs');
    // Seen again on a listing that gives no categories: the merge classifies what is stored.
    await store(ctx('hf-api', '2026-06-17T08:00:00Z', HF_URL), [
      { rank: 1, arxivId: '2606.99101', title: 'Graph neural networks for recommendation', upvotes: 4 },
    ]);
    expect((await paper('2606.99101')).categories).toEqual(['cs.IR', 'cs.SI']);
    expect(await best()).toBe('graphs');
  });

  it('keeps homonymous co-authors, in order, from a real-shaped Hugging Face entry', async () => {
    const body = JSON.stringify([
      {
        paper: {
          id: '2606.99001',
          title: 'Two Authors of One Name',
          summary: 'An abstract.',
          upvotes: 3,
          authors: [
            { _id: 'a1', name: 'Wei Wang', hidden: false },
            { _id: 'a2', name: 'Yang Liu', hidden: false },
            { _id: 'a3', name: 'Wei Wang', hidden: true },
          ],
        },
        numComments: 0,
      },
    ]);
    const raw = getAdapter('hf-api').extract(createPage(HF_URL, body, 'application/json')).entries;
    await store(ctx('hf-api', '2026-06-16T08:00:00Z', HF_URL), JSON.parse(JSON.stringify(raw)) as unknown[]);
    expect((await paper('2606.99001')).authors).toEqual(['Wei Wang', 'Yang Liu', 'Wei Wang']);
  });

  it("a configured listing's details never replace a canonical source's on an arXiv paper; its facts are kept with its name", async () => {
    const msa = await paper('2606.13392');
    await store(ctx('some-blog', '2026-06-30T08:00:00Z'), [
      {
        rank: 1,
        arxivId: '2606.13392',
        title: 'MiniMax Sparse Attention',
        githubRepo: 'https://github.com/someone-else/fork',
        githubStars: 99_999,
        aiSummary: 'Planted.',
      },
    ]);
    expect(await paper('2606.13392')).toMatchObject({
      code_url: 'https://github.com/MiniMax-AI/MSA',
      code_stars: 300,
      ai_summary: msa.ai_summary,
      details_source: 'hf-api',
    });
    const planted = (await facts(msa.id)).filter((f) => f.source === 'some-blog');
    expect(Object.fromEntries(planted.map((f) => [f.field, f.value]))).toEqual({
      aiSummary: 'Planted.',
      codeStars: 99_999,
      codeUrl: 'https://github.com/someone-else/fork',
    });
    // ...and no version from it either.
    expect((await versions(msa.id)).length).toBe(0);
  });
});
