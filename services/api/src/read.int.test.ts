import { loadConfig } from '@paperboy/config';
import { DashboardRepository } from '@paperboy/db';
import { loadTaxonomy } from '@paperboy/pipeline';
import { createRedis } from '@paperboy/queue';
import { loadSourcesFile } from '@paperboy/sources-file';
import {
  insertCrawlRow,
  seedReadApiPapers,
  setPaperUpvotes,
  type TestDatabase,
  testEnvironment,
} from '@paperboy/test-utils';
import { sql } from 'kysely';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from './app.js';

let t: TestDatabase;
const testEnv = testEnvironment();
const { prefix, redisUrl } = testEnv;
const redis = createRedis(redisUrl, 'producer');
let app: Awaited<ReturnType<typeof buildApi>>;

beforeAll(async () => {
  t = await testEnv.start();
  // 30 papers: first seen an hour apart, upvotes rising with the index; every third about diffusion;
  // a manual label wins over the computed topic, in the API as everywhere (paper 2611.20002: computed llm).
  await seedReadApiPapers(t.db);
  await new DashboardRepository(t.db).refresh(); // topic counts come from the precomputed rows
  const config = loadConfig({ PAPERBOY_QUEUE_PREFIX: prefix });
  // These tests write and read back at once: answers uncached (the cache's own tests: read-cache*.test.ts).
  app = await buildApi({
    db: t.db,
    config,
    logger: pino({ level: 'silent' }),
    redis,
    taxonomy: loadTaxonomy(),
    readCacheMs: 0,
  });
});
afterAll(async () => {
  await app?.close();
  redis.disconnect();
  await testEnv.stop();
});

const get = (url: string, headers: Record<string, string> = {}) => app.inject({ url, headers });

describe('read API', () => {
  it('pages through every paper with a keyset cursor, newest first, without repeats', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await get(`/api/papers?sort=new&limit=7${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.statusCode).toBe(200);
      const body = res.json() as { papers: Array<{ arxivId: string }>; nextCursor: string | null };
      seen.push(...body.papers.map((p) => p.arxivId));
      cursor = body.nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(30);
    expect(new Set(seen).size).toBe(30);
    expect(seen[0]).toBe('2611.20001'); // first seen an hour ago: the newest
  });

  it('ranks by trending score across pages, filters by topic, source, date and text', async () => {
    const first = (await get('/api/papers?limit=10')).json() as {
      papers: Array<{ score: number; arxivId: string }>;
      nextCursor: string;
    };
    const second = (await get(`/api/papers?limit=10&cursor=${first.nextCursor}`)).json() as {
      papers: Array<{ score: number; arxivId: string }>;
    };
    const scores = [...first.papers, ...second.papers].map((p) => p.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    expect(new Set([...first.papers, ...second.papers].map((p) => p.arxivId)).size).toBe(20);

    const generative = (await get('/api/papers?topic=generative&limit=100')).json() as {
      papers: Array<{ topics: string[] }>;
    };
    expect(generative.papers).toHaveLength(10);
    expect(generative.papers.every((p) => p.topics[0] === 'generative')).toBe(true);
    const hf = (await get('/api/papers?source=hf-papers&limit=100')).json() as { papers: Array<{ sources: string[] }> };
    expect(hf.papers).toHaveLength(15);
    const search = (await get('/api/papers?q=denoise&limit=100')).json() as { papers: unknown[] };
    expect(search.papers).toHaveLength(10);
    const recent = (
      await get(`/api/papers?since=${encodeURIComponent(new Date(Date.now() - 10 * 60_000).toISOString())}&limit=100`)
    ).json() as { papers: unknown[] };
    expect(recent.papers).toHaveLength(9); // last seen 1 to 9 minutes ago
  });

  it('answers CSV, ETags with 304, and clear 400s', async () => {
    const csv = await get('/api/papers?format=csv&sort=new&limit=2');
    expect(csv.headers['content-type']).toMatch(/text\/csv/);
    // The columns a list always had, in place; the details and links appended (scripts read by position).
    expect(csv.body.split('\r\n')[0]).toBe(
      '"arxivId","title","authors","upvotes","topics","sources","firstSeenAt","lastSeenAt","score",' +
        '"codeUrl","codeStars","projectPage","aiSummary","aiKeywords","organization","submittedBy","thumbnail",' +
        '"mediaUrls","primaryCategory","arxivComments","journalRef","doi","license","latestVersion",' +
        '"paperUrl","abstractUrl","pdfUrl","huggingFaceUrl","discussionUrl","seenAt"',
    );
    expect(csv.body.split('\r\n')[1]).toMatch(
      /^"2611\.20001","Language models, part 1","Author 1","3","llm","arxiv-list"/,
    );
    const first = await get('/api/topics');
    expect((await get('/api/topics', { 'if-none-match': String(first.headers.etag) })).statusCode).toBe(304);
    // Trending lists: scores decay every second, the ETag (weak) follows the ranking, not the scores.
    for (const url of ['/api/papers?limit=5', '/api/trending?window=7d']) {
      const one = await get(url);
      expect(String(one.headers.etag)).toMatch(/^W\//);
      const again = await get(url, { 'if-none-match': String(one.headers.etag) });
      expect(again.statusCode, url).toBe(304);
    }
    const before = String((await get('/api/papers?limit=5')).headers.etag);
    await setPaperUpvotes(t.db, '2611.20003', 1000);
    await new DashboardRepository(t.db).refresh(); // the trending order is the precomputed one
    const changed = await get('/api/papers?limit=5', { 'if-none-match': before });
    expect(changed.statusCode).toBe(200); // the ranking changed
    await setPaperUpvotes(t.db, '2611.20003', 9);
    await new DashboardRepository(t.db).refresh();
    // Impossible dates are a 400 naming the parameter, not a 500 or a rolled-over day.
    for (const since of ['2026-13-45', '2026-02-30', '2026-11-28T25:00:00Z', 'yesterday']) {
      const res = await get(`/api/papers?since=${since}`);
      expect(res.statusCode, since).toBe(400);
      expect(res.json().details, since).toEqual([expect.stringMatching(/^since: /)]);
    }
    expect((await get('/api/papers?since=2026-02-28')).statusCode).toBe(200);
    const bad = await get('/api/papers?topic=astrology&limit=0&sort=random&extra=1');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().details.join('\n')).toMatch(/topic/);
    expect(bad.json().details.join('\n')).toMatch(/limit/);
    expect((await get('/api/papers?cursor=garbage')).json().details).toEqual([expect.stringMatching(/^cursor:/)]);
    expect((await get('/api/papers/not-an-id')).statusCode).toBe(400);
    expect((await get('/api/papers/2611.99999')).statusCode).toBe(404);
  });

  it('answers an unknown source with a 400 naming it and the known ones, in JSON and CSV alike', async () => {
    // Known: the sources papers were stored under, and those that have crawled (as /api/sources lists them).
    await insertCrawlRow(t.db, {
      source: 'arxiv-rss-quiet',
      url: 'https://rss.arxiv.org/rss/cs.LG',
      trigger: 'schedule',
      started_at: new Date(),
      finished_at: new Date(),
      outcome: 'quiet',
      entries: 0,
    });
    // /api/sources lists the sources file's sources (the shipped one here, none crawled) first, then the others.
    const sources = (await get('/api/sources')).json() as {
      sources: Array<{ source: string; configured: boolean; health: string }>;
    };
    const configured = loadSourcesFile().sources.map((s) => s.id);
    expect(sources.sources.map((s) => s.source)).toEqual([...configured, 'arxiv-rss-quiet']);
    expect(sources.sources.filter((s) => s.configured).map((s) => s.source)).toEqual(configured);
    expect(new Set(sources.sources.filter((s) => s.configured).map((s) => s.health))).toEqual(
      new Set(['never crawled']),
    );
    for (const url of [
      '/api/papers?source=nope',
      '/api/papers?source=nope&format=csv',
      '/api/papers?source=nope&sort=new&limit=5',
    ]) {
      const res = await get(url);
      expect(res.statusCode, url).toBe(400);
      expect(res.headers['content-type'], url).toMatch(/application\/json/);
      expect(res.json(), url).toEqual({
        error: 'invalid request',
        details: ['source: unknown source "nope"; known: arxiv-list, arxiv-rss-quiet, hf-papers'],
      });
    }
    const csv = await get('/api/papers?source=nope', { accept: 'text/csv' });
    expect(csv.statusCode).toBe(400);
    expect(csv.json().details).toEqual([expect.stringMatching(/^source: unknown source "nope"/)]);
    // Reported with the other bad parameters, not instead of them.
    const both = await get('/api/papers?source=nope&limit=0');
    expect(both.json().details).toEqual([
      expect.stringMatching(/^limit: /),
      expect.stringMatching(/^source: unknown source "nope"/),
    ]);
    // A source that has crawled but stored nothing is known: an empty list, not an error.
    const quiet = await get('/api/papers?source=arxiv-rss-quiet');
    expect(quiet.statusCode).toBe(200);
    expect(quiet.json()).toEqual({ papers: [], nextCursor: null });
    expect((await get('/api/papers?source=hf-papers&format=csv')).statusCode).toBe(200);
    // /api/trending takes no source: refused by its schema as before.
    expect((await get('/api/trending?source=nope')).json().details).toEqual([expect.stringMatching(/source/)]);
  });

  it('publishes an OpenAPI document generated from the validating schemas', async () => {
    const doc = (await get('/api/openapi.json')).json();
    expect(doc.openapi).toBe('3.0.3');
    const params = doc.paths['/api/papers'].get.parameters as Array<{
      name: string;
      schema: { enum?: string[]; maximum?: number };
    }>;
    expect(params.map((p) => p.name).sort()).toEqual([
      'cursor',
      'format',
      'limit',
      'q',
      'since',
      'sort',
      'source',
      'topic',
    ]);
    expect(params.find((p) => p.name === 'topic')!.schema.enum).toHaveLength(18);
    expect(params.find((p) => p.name === 'limit')!.schema.maximum).toBe(200);
    const source = params.find((p) => p.name === 'source') as unknown as {
      required: boolean;
      schema: { description?: string; enum?: unknown };
    };
    expect(source).toMatchObject({ required: false, schema: { type: 'string', minLength: 1, maxLength: 100 } });
    expect(source.schema.enum).toBeUndefined(); // the known sources are data, checked per request
    expect(source.schema.description).toMatch(/\/api\/sources.*400/);
    expect(doc.paths['/api/papers'].get.responses[400].description).toMatch(/unknown source/);
    for (const path of ['/api/papers', '/api/papers/{arxivId}', '/api/topics', '/api/trending', '/api/sources'])
      expect(doc.paths[path].get.responses[429], path).toBeDefined();
    for (const path of ['/api/topics', '/api/sources']) {
      expect(
        doc.paths[path].get.parameters.map((p: { name: string; schema: { enum?: string[] } }) => [
          p.name,
          p.schema.enum,
        ]),
      ).toEqual([['format', ['json', 'csv']]]);
    }
    expect(
      doc.paths['/api/subscriptions'].post.requestBody.content['application/json'].schema.properties.frequency.enum,
    ).toEqual(['daily', 'weekly']);
  });

  it('gives one paper with its sighting history, topics, trending and sources', async () => {
    const paper = (await get('/api/papers/2611.20001')).json();
    expect(paper).toMatchObject({
      arxivId: '2611.20001',
      title: 'Language models, part 1',
      sources: ['arxiv-list'],
      sightings: [{ source: 'hf-papers', rank: 1, upvotes: 3 }],
    });
    const topics = (await get('/api/topics')).json() as { topics: Array<{ id: string; papers: number }> };
    expect(topics.topics).toHaveLength(18);
    expect(topics.topics.find((t) => t.id === 'llm')?.papers).toBe(19); // 20 computed, one labelled safety
    expect(topics.topics.find((t) => t.id === 'safety')?.papers).toBe(1);
    expect((await get('/api/papers/2611.20002')).json().topics).toEqual(['safety']);
    // A versioned or prefixed id names the same paper; a malformed one is refused.
    expect((await get('/api/papers/2611.20001v2')).json()).toMatchObject({ arxivId: '2611.20001' });
    expect((await get('/api/papers/arXiv:2611.20001')).json()).toMatchObject({ arxivId: '2611.20001' });
    expect((await get('/api/papers/2611.20001vx')).statusCode).toBe(400);
    expect((await get('/api/papers/2613.20001')).statusCode).toBe(400); // month 13
    const safety = (await get('/api/papers?topic=safety')).json() as {
      papers: Array<{ arxivId: string; topics: string[] }>;
    };
    expect(safety.papers.map((p) => [p.arxivId, p.topics])).toEqual([['2611.20002', ['safety']]]);
    expect(
      ((await get('/api/papers?topic=llm&limit=100')).json() as { papers: Array<{ arxivId: string }> }).papers.map(
        (p) => p.arxivId,
      ),
    ).not.toContain('2611.20002');
    const trending = (await get('/api/trending?window=24h&limit=5')).json() as { window: string; papers: unknown[] };
    expect(trending).toMatchObject({ window: '24h' });
    expect(trending.papers).toHaveLength(5);
    expect((await get('/api/trending?window=1y')).statusCode).toBe(400);
    await insertCrawlRow(t.db, {
      source: 'gone-404',
      url: 'https://example.org/gone',
      trigger: 'schedule',
      started_at: new Date(),
      finished_at: new Date(),
      status: 404,
      outcome: 'failed',
      entries: 0,
      error: 'HTTP 404 from https://example.org/gone',
    });
    const sources = await get('/api/sources');
    expect(sources.statusCode).toBe(200);
    // Health by the rule of `paperboy sources`.
    expect(
      (sources.json() as { sources: Array<{ source: string; health: string; reason: string | null }> }).sources.find(
        (r) => r.source === 'gone-404',
      ),
    ).toMatchObject({
      health: 'failing',
      reason: 'HTTP 404 from https://example.org/gone',
    });
    expect((await get('/api/sources?format=csv')).body.split(/\r?\n/)[0]).toMatch(/,"health","reason"$/);
    // A parameter an endpoint does not take is a 400 naming it, not silently ignored.
    for (const path of [
      '/api/topics?topic=llm',
      '/api/sources?since=2026-01-01',
      '/api/papers/2611.20002?format=csv',
    ]) {
      const res = await get(path);
      expect(res.statusCode, path).toBe(400);
      expect(res.json().details.join(' '), path).toMatch(/Unrecognized key/);
    }
    expect((await get('/api/topics?format=csv')).statusCode).toBe(200);
  });

  it('carries what the sources give: details, canonical links, versions and stars', async () => {
    await sql`UPDATE papers SET url = 'http://127.0.0.1:8080/papers/2611.20005', code_url = 'https://github.com/org/repo',
        code_stars = 120, project_page = 'https://org.example/project', ai_summary = 'It does a thing.',
        ai_keywords = ARRAY['diffusion', 'text'], organization = 'Org', submitted_by = 'someone',
        primary_category = 'cs.CL', arxiv_comments = '12 pages', journal_ref = 'Venue 2026', doi = '10.1/x',
        license = 'http://creativecommons.org/licenses/by/4.0/', latest_version = 2
      WHERE arxiv_id = '2611.20005'`.execute(t.db);
    await sql`INSERT INTO paper_versions (paper_id, version, first_seen_at, source)
      SELECT id, v, ('2026-11-0' || v || 'T00:00:00Z')::timestamptz, 'arxiv-api' FROM papers, generate_series(1, 2) v
      WHERE arxiv_id = '2611.20005'`.execute(t.db);
    await sql`INSERT INTO sightings (paper_id, source, listing, rank, upvotes, stars, seen_at)
      SELECT id, 'hf-papers', 'l', 2, 15, 120, now() - interval '30 minutes' FROM papers WHERE arxiv_id = '2611.20005'`.execute(
      t.db,
    );
    const links = {
      paper: 'https://arxiv.org/abs/2611.20005',
      abstract: 'https://arxiv.org/abs/2611.20005',
      pdf: 'https://arxiv.org/pdf/2611.20005',
      huggingFace: 'https://huggingface.co/papers/2611.20005',
      discussion: 'https://huggingface.co/papers/2611.20005#community',
      code: 'https://github.com/org/repo',
      codeStars: 120,
      projectPage: 'https://org.example/project',
      // The loopback listing it was seen on: kept as such, never the paper's link.
      seenAt: 'http://127.0.0.1:8080/papers/2611.20005',
    };
    const details = {
      codeUrl: 'https://github.com/org/repo',
      codeStars: 120,
      projectPage: 'https://org.example/project',
      aiSummary: 'It does a thing.',
      aiKeywords: ['diffusion', 'text'],
      organization: 'Org',
      submittedBy: 'someone',
      thumbnail: null,
      mediaUrls: [],
      primaryCategory: 'cs.CL',
      arxivComments: '12 pages',
      journalRef: 'Venue 2026',
      doi: '10.1/x',
      license: 'http://creativecommons.org/licenses/by/4.0/',
      latestVersion: 2,
    };
    const one = (await get('/api/papers/2611.20005')).json();
    expect(one).toEqual({
      arxivId: '2611.20005',
      title: 'Language models, part 5',
      abstract: 'We pretrain transformers on text.',
      authors: ['Author 5'],
      upvotes: 15,
      topics: ['llm'],
      sources: ['arxiv-list'],
      firstSeenAt: expect.any(String),
      lastSeenAt: expect.any(String),
      sightings: [
        {
          source: 'hf-papers',
          listing: 'l',
          seenAt: expect.any(String),
          rank: 2,
          upvotes: 15,
          comments: null,
          stars: 120,
        },
      ],
      ...details,
      versions: [
        { version: 1, firstSeenAt: '2026-11-01T00:00:00.000Z', source: 'arxiv-api' },
        { version: 2, firstSeenAt: '2026-11-02T00:00:00.000Z', source: 'arxiv-api' },
      ],
      links,
    });
    // The fields a paper always had come first, in their order.
    expect(Object.keys(one).slice(0, 10)).toEqual([
      'arxivId',
      'title',
      'abstract',
      'authors',
      'upvotes',
      'topics',
      'sources',
      'firstSeenAt',
      'lastSeenAt',
      'sightings',
    ]);
    // A paper without details: nulls and empty lists, arXiv links only (nothing says it is on Hugging Face).
    const plain = (await get('/api/papers/2611.20007')).json();
    expect(plain).toMatchObject({ codeUrl: null, aiKeywords: [], mediaUrls: [], latestVersion: null, versions: [] });
    expect(plain.links).toEqual({
      paper: 'https://arxiv.org/abs/2611.20007',
      abstract: 'https://arxiv.org/abs/2611.20007',
      pdf: 'https://arxiv.org/pdf/2611.20007',
      huggingFace: null,
      discussion: null,
      code: null,
      codeStars: null,
      projectPage: null,
      seenAt: null,
    });

    // List items (newest and trending, JSON and CSV) carry the same details and links.
    const listed = (await get('/api/papers?sort=new&limit=100')).json() as { papers: Array<Record<string, unknown>> };
    const item = listed.papers.find((p) => p.arxivId === '2611.20005');
    expect(item).toMatchObject({ ...details, links });
    expect(Object.keys(item!).slice(0, 9)).toEqual([
      'arxivId',
      'title',
      'authors',
      'upvotes',
      'topics',
      'sources',
      'firstSeenAt',
      'lastSeenAt',
      'score',
    ]);
    const trending = (await get('/api/trending?window=7d&limit=200')).json() as {
      papers: Array<Record<string, unknown>>;
    };
    expect(trending.papers.find((p) => p.arxivId === '2611.20005')).toMatchObject({ ...details, links });
    const csv = (await get('/api/papers?format=csv&sort=new&limit=100')).body.split('\r\n');
    const header = csv[0]!.split(',').map((c) => c.slice(1, -1));
    const row = csv.find((line) => line.startsWith('"2611.20005"'))!;
    const cells = row.slice(1, -1).split('","');
    const cellOf = (column: string) => cells[header.indexOf(column)];
    expect(cellOf('codeUrl')).toBe('https://github.com/org/repo');
    expect(cellOf('codeStars')).toBe('120');
    expect(cellOf('aiKeywords')).toBe('diffusion;text');
    expect(cellOf('paperUrl')).toBe('https://arxiv.org/abs/2611.20005');
    expect(cellOf('discussionUrl')).toBe('https://huggingface.co/papers/2611.20005#community');
    expect(cellOf('seenAt')).toBe('http://127.0.0.1:8080/papers/2611.20005');

    // The OpenAPI document describes them.
    const doc = (await get('/api/openapi.json')).json();
    const paper = doc.components.schemas.Paper;
    for (const field of [...Object.keys(details), 'links']) expect(paper.properties[field], field).toBeDefined();
    expect(paper.properties.links).toEqual({ $ref: '#/components/schemas/PaperLinks' });
    expect(Object.keys(doc.components.schemas.PaperLinks.properties)).toEqual(Object.keys(links));
    const full = doc.components.schemas.PaperWithHistory;
    expect(full.properties.versions.items).toEqual({ $ref: '#/components/schemas/PaperVersion' });
    expect(full.properties.sightings.items).toEqual({ $ref: '#/components/schemas/Sighting' });
    expect(doc.components.schemas.PaperVersion.properties).toHaveProperty('version');
    expect(doc.components.schemas.Sighting.properties).toHaveProperty('stars');
    expect(doc.paths['/api/papers/{arxivId}'].get.responses[200].content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/PaperWithHistory',
    });
  });
});
