import { loadConfig } from '@paperboy/config';
import { DashboardRepository, type FeedPaper, SubscriberRepository } from '@paperboy/db';
import { DigestCandidates } from '@paperboy/notifier';
import { loadTaxonomy, signToken } from '@paperboy/pipeline';
import { createRedis } from '@paperboy/queue';
import {
  deleteRedisPrefix,
  insertPaperRows,
  insertPaperTopicRows,
  insertPreferencesRow,
  insertSubscriberRow,
  seedReadApiPapers,
  setPaperUpvotes,
  type TestDatabase,
  testEnvironment,
} from '@paperboy/test-utils';
import { pino } from 'pino';
import Parser from 'rss-parser';
import { SaxesParser } from 'saxes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../app.js';
import { feedItem } from './items.js';
import { privateFeedUrl } from './private-feed.js';
import { FEED_FORMATS, type FeedFormat, renderFeed } from './render.js';

const SECRET = 'feeds-secret-Qw8Zr3Lp5Tn7Vx2Km9Hj4';
const PUBLIC_URL = 'https://paperboy.example';
// Everything a scraped title can hold that breaks a feed: CDATA's end, markup, characters XML 1.0
// forbids (U+0000 cannot reach Postgres; the pure test below has it, and a lone surrogate), quotes.
const HOSTILE = 'Evil ]]> <script>alert("x")</script> & \u0001bell\u000b \ufffe end \'q\'';

let t: TestDatabase;
const testEnv = testEnvironment();
const { prefix, redisUrl } = testEnv;
const redis = createRedis(redisUrl, 'producer');
let app: Awaited<ReturnType<typeof buildApi>>;
let reader: number;
let hostileId: number;

beforeAll(async () => {
  t = await testEnv.start();
  // 30 papers first seen an hour apart, upvotes rising with the index; every third about diffusion (generative).
  await seedReadApiPapers(t.db);
  const [inserted] = await insertPaperRows(t.db, [
    {
      arxiv_id: null,
      title: HOSTILE,
      title_key: 'evil',
      abstract: `Abstract ${HOSTILE}. Second sentence.`,
      authors: [`Mallory <b>${'\u0002'}</b>`, 'Eve & Co'],
      categories: ['cs.CR'],
      // A listing on this machine (gone when the feed is read) and a script URL: neither may be linked.
      url: 'http://127.0.0.1:8080/listing/evil',
      code_url: 'javascript:alert(1)',
      project_page: 'https://evil.example/"><script>',
      upvotes: 500,
      first_seen_at: new Date(Date.now() - 30 * 60_000),
      last_seen_at: new Date(),
      details_seen_at: new Date(Date.now() - 10 * 60_000),
    },
  ]);
  hostileId = inserted!;
  await insertPaperTopicRows(t.db, [
    { paper_id: hostileId, topic_id: 'llm', score: 0.9, position: 0, taxonomy_version: 'v' },
  ]);
  await new DashboardRepository(t.db).refresh(); // the trending order is the precomputed one
  reader = await insertSubscriberRow(t.db, { email: 'reader@example.com', status: 'active' });
  await insertPreferencesRow(t.db, {
    subscriber_id: reader,
    topics: ['generative'],
    frequency: 'daily',
    max_papers: 5,
  });
  const config = loadConfig({
    PAPERBOY_QUEUE_PREFIX: prefix,
    PAPERBOY_SECRET: SECRET,
    PAPERBOY_PUBLIC_URL: PUBLIC_URL,
    PAPERBOY_READ_PER_MINUTE: '100000',
  });
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
  await deleteRedisPrefix(redisUrl, `${prefix}-limited`);
});

const get = (url: string, headers: Record<string, string> = {}) => app.inject({ url, headers });
const feedToken = (subscriberId: number, version = 1) => signToken(SECRET, 'feed', subscriberId, null, version);
const mine = (format: FeedFormat, subscriberId = reader, version = 1) =>
  privateFeedUrl(PUBLIC_URL, SECRET, subscriberId, version, format).slice(PUBLIC_URL.length);

/** Parses XML with a strict XML 1.0 parser (saxes): throws on anything not well-formed, forbidden characters included. */
function strictXml(payload: string): string {
  const parser = new SaxesParser({ xmlns: true });
  let root = '';
  let error: Error | null = null;
  parser.on('error', (e) => {
    error ??= e;
  });
  parser.on('opentag', (tag) => {
    root ||= tag.name;
  });
  parser.write(payload).close();
  if (error) throw error;
  return root;
}

interface CheckedItem {
  id: string;
  link: string | undefined;
  title: string;
  content: string;
}

const XML_FORBIDDEN = /[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/u;

/**
 * A feed as a reader sees it: well-formed (XML) and read by rss-parser (RSS and Atom), or JSON
 * Feed 1.1's required fields; every item has a unique id, a title and content; no link is a
 * loopback or non-http one.
 */
async function readFeed(format: FeedFormat, payload: string): Promise<{ title: string; items: CheckedItem[] }> {
  expect(XML_FORBIDDEN.test(payload), 'a character XML 1.0 forbids').toBe(false);
  let feed: { title: string; items: CheckedItem[] };
  if (format === 'json') {
    const json = JSON.parse(payload) as {
      version: string;
      title: string;
      home_page_url?: string;
      feed_url?: string;
      items: Array<Record<string, unknown>>;
    };
    expect(json.version).toBe('https://jsonfeed.org/version/1.1');
    expect(typeof json.title).toBe('string');
    expect(json.feed_url).toMatch(/^https:\/\//);
    expect(Array.isArray(json.items)).toBe(true);
    for (const item of json.items) {
      expect(typeof item.id === 'string' && item.id.length > 0).toBe(true);
      expect(typeof item.content_html === 'string' || typeof item.content_text === 'string').toBe(true);
      for (const date of [item.date_published, item.date_modified])
        expect(String(date)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
      for (const author of (item.authors as Array<{ name: unknown }> | undefined) ?? [])
        expect(typeof author.name).toBe('string');
    }
    feed = {
      title: json.title,
      items: json.items.map((i) => ({
        id: i.id as string,
        link: i.url as string | undefined,
        title: i.title as string,
        content: i.content_html as string,
      })),
    };
  } else {
    expect(strictXml(payload)).toBe(format === 'rss' ? 'rss' : 'feed');
    const parsed = await new Parser().parseString(payload);
    feed = {
      title: parsed.title ?? '',
      items: parsed.items.map((i) => ({
        id: (i.guid ?? (i as { id?: string }).id)!,
        link: i.link,
        title: i.title!,
        content: i.content!,
      })),
    };
    for (const item of parsed.items) expect(Number.isNaN(Date.parse(item.isoDate!))).toBe(false);
  }
  expect(new Set(feed.items.map((i) => i.id)).size).toBe(feed.items.length);
  for (const item of feed.items) {
    expect(item.id).toMatch(/^(https:\/\/arxiv\.org\/abs\/\d{4}\.\d{4,5}|tag:paperboy\.example,2026:paper\/\d+)$/);
    expect(item.title.length).toBeGreaterThan(0);
    expect(item.content.length).toBeGreaterThan(0);
    if (item.link !== undefined) expect(item.link).toMatch(/^https:\/\/(?!127\.|localhost)/);
    expect(item.content).not.toMatch(/javascript:|127\.0\.0\.1/);
  }
  return feed;
}

const FEEDS = {
  topic: (format: FeedFormat) => `/feeds/topics/llm.${format}`,
  search: (format: FeedFormat) => `/feeds/search.${format}?q=denoise`,
  private: (format: FeedFormat) => mine(format),
};

describe('feeds', () => {
  it('serves every format of every feed kind, each read by a feed parser, on GET and HEAD', async () => {
    const types = { rss: 'application/rss+xml', atom: 'application/atom+xml', json: 'application/feed+json' };
    for (const [kind, url] of Object.entries(FEEDS)) {
      for (const format of FEED_FORMATS) {
        const res = await get(url(format));
        const where = `${kind} ${format}`;
        expect(res.statusCode, where).toBe(200);
        expect(res.headers['content-type'], where).toBe(`${types[format]}; charset=utf-8`);
        expect(res.headers.etag, where).toMatch(/^"[\w-]{27}"$/);
        expect(new Date(String(res.headers['last-modified'])).getTime(), where).toBeGreaterThan(0);
        expect(res.headers['cache-control'], where).toBe(`${kind === 'private' ? 'private' : 'public'}, max-age=300`);
        const feed = await readFeed(format, res.body);
        expect(feed.items.length, where).toBeGreaterThan(0);
        const head = await app.inject({ method: 'HEAD', url: url(format) });
        expect(head.statusCode, where).toBe(200);
        expect(head.body, where).toBe('');
        expect(head.headers.etag, where).toBe(res.headers.etag);
      }
    }
  });

  it('lists a topic as the read API ranks it (50 at most), with the digest summary and links', async () => {
    const api = (await get('/api/papers?topic=llm&limit=50')).json() as { papers: Array<{ arxivId: string | null }> };
    const feed = (await get('/feeds/topics/llm.json')).json() as {
      items: Array<{ id: string; url?: string; content_html: string; summary?: string; tags?: string[] }>;
    };
    expect(feed.items.length).toBe(Math.min(50, api.papers.length));
    expect(feed.items.map((i) => i.id)).toEqual(
      api.papers.map((p) =>
        p.arxivId ? `https://arxiv.org/abs/${p.arxivId}` : `tag:paperboy.example,2026:paper/${hostileId}`,
      ),
    );
    const first = feed.items.find((i) => i.id === 'https://arxiv.org/abs/2611.20001')!;
    expect(first.url).toBe('https://arxiv.org/abs/2611.20001');
    expect(first.summary).toBe('We pretrain transformers on text.');
    expect(first.content_html).toContain('<a href="https://arxiv.org/pdf/2611.20001">PDF</a>');
    expect(first.tags).toEqual(['llm']);
    const search = (await get('/feeds/search.json?q=denoise&sort=new')).json() as { items: Array<{ title: string }> };
    expect(search.items).toHaveLength(10);
    expect(search.items.every((i) => i.title.startsWith('Diffusion models'))).toBe(true);
  });

  it('keeps item ids when upvotes change, while the ETag follows the content', async () => {
    const before = await get('/feeds/topics/generative.atom');
    const ids = (await readFeed('atom', before.body)).items.map((i) => i.id);
    await setPaperUpvotes(t.db, '2611.20003', 1000);
    await new DashboardRepository(t.db).refresh();
    const after = await get('/feeds/topics/generative.atom', { 'if-none-match': String(before.headers.etag) });
    expect(after.statusCode).toBe(200); // the order and the counts changed
    // No item is newer, yet Last-Modified moved: a reader sending only If-Modified-Since sees the change too.
    const since = await get('/feeds/topics/generative.atom', {
      'if-modified-since': String(before.headers['last-modified']),
    });
    expect(since.statusCode).toBe(200);
    expect(Date.parse(String(since.headers['last-modified']))).toBeGreaterThan(
      Date.parse(String(before.headers['last-modified'])),
    );
    const afterIds = (await readFeed('atom', after.body)).items.map((i) => i.id);
    expect(afterIds[0]).toBe('https://arxiv.org/abs/2611.20003');
    expect([...afterIds].sort()).toEqual([...ids].sort());
    await setPaperUpvotes(t.db, '2611.20003', 9);
    await new DashboardRepository(t.db).refresh();
  });

  it('answers 304 to If-None-Match and to If-Modified-Since, If-None-Match first', async () => {
    for (const url of ['/feeds/topics/llm.rss', '/feeds/search.atom?q=denoise', mine('json')]) {
      const first = await get(url);
      const etag = String(first.headers.etag);
      const modified = String(first.headers['last-modified']);
      const byTag = await get(url, { 'if-none-match': etag });
      expect(byTag.statusCode, url).toBe(304);
      expect(byTag.body, url).toBe('');
      expect(byTag.headers.etag, url).toBe(etag);
      expect((await get(url, { 'if-modified-since': modified })).statusCode, url).toBe(304);
      const later = new Date(Date.parse(modified) + 3_600_000).toUTCString();
      expect((await get(url, { 'if-modified-since': later })).statusCode, url).toBe(304);
      const earlier = new Date(Date.parse(modified) - 1000).toUTCString();
      expect((await get(url, { 'if-modified-since': earlier })).statusCode, url).toBe(200);
      // A different ETag wins over a date that would match (RFC 9110 13.2.2).
      expect((await get(url, { 'if-none-match': '"other"', 'if-modified-since': modified })).statusCode, url).toBe(200);
      expect((await get(url, { 'if-modified-since': 'not a date' })).statusCode, url).toBe(200);
    }
  });

  it('keeps hostile scraped text well-formed and escaped, and links nothing unsafe', async () => {
    for (const format of FEED_FORMATS) {
      const res = await get(`/feeds/topics/llm.${format}`);
      const feed = await readFeed(format, res.body);
      const evil = feed.items.find((i) => i.id === `tag:paperboy.example,2026:paper/${hostileId}`)!;
      expect(evil, format).toBeDefined();
      expect(evil.title, format).toBe('Evil ]]> <script>alert("x")</script> & bell end \'q\'');
      expect(evil.link, format).toBeUndefined(); // only a loopback listing: no link rather than a dead one
      expect(evil.content, format).toContain('&lt;script&gt;');
      expect(evil.content, format).not.toContain('<script');
      expect(evil.content, format).toContain('https://evil.example/%22%3E%3Cscript%3E');
    }
  });

  it('renders U+0000 and lone surrogates away in every format', () => {
    const paper: FeedPaper = {
      id: 7,
      arxivId: null,
      title: `A\u0000B\ud800C\udc00D\ufffe\uffffE ]]> <x>`,
      abstract: 'Nul\u0000 here.',
      authors: ['Nul\u0000 Author', '\ud83d'],
      url: null,
      upvotes: 1,
      categories: ['cs\u0000.AI'],
      topics: ['llm'],
      firstSeenAt: '2026-12-01T00:00:00.000Z',
      detailsSeenAt: null,
      aiSummary: null,
      submittedBy: null,
      codeUrl: null,
      codeStars: null,
      projectPage: null,
    };
    const item = feedItem(paper, { host: 'paperboy.example', why: 'because\u0000 <you>' });
    expect(item.title).toBe('ABCDE ]]> <x>');
    const meta = {
      id: 'tag:paperboy.example,2026:feeds/test',
      title: 'T \u0000]]>',
      description: 'D',
      selfUrl: 'https://paperboy.example/feeds/x',
      homeUrl: 'https://paperboy.example/',
      ttlMinutes: 5,
    };
    for (const format of FEED_FORMATS) {
      const payload = renderFeed(format, meta, [item]);
      expect(XML_FORBIDDEN.test(payload), format).toBe(false);
      if (format !== 'json') strictXml(payload);
      else expect(JSON.parse(payload).items[0].content_html).toContain('Why: because &lt;you&gt;');
    }
    // The check can fail: the same text unrendered is refused.
    expect(() => strictXml(`<a>${paper.title}</a>`)).toThrow();
  });

  it('lists the reader’s own papers in their ranking’s order, and refuses forged, revoked or other links with a 404', async () => {
    // The reader's ranking over the current candidates: papers already mailed stay in the feed.
    const ranked = await new DigestCandidates(t.db).feedPapers(reader, 50);
    const expected = ranked.map((p) => `https://arxiv.org/abs/${p.arxivId}`);
    expect(expected.length).toBeGreaterThanOrEqual(5);
    expect(ranked.every((p) => p.why.startsWith('trending'))).toBe(true);
    const feed = await readFeed('rss', (await get(mine('rss'))).body);
    expect(feed.items.map((i) => i.id)).toEqual(expected);

    const other = await insertSubscriberRow(t.db, { email: 'other@example.com', status: 'active' });
    const [payload] = feedToken(reader).split('.');
    const forged = [
      signToken('another-secret-0123456789abcdef', 'feed', reader, null, 1),
      // Another subscriber's id with this reader's signature.
      `${Buffer.from(JSON.stringify({ p: 'feed', s: other, e: 0, v: 1 })).toString('base64url')}.${feedToken(reader).split('.')[1]}`,
      `${payload}.`,
      signToken(SECRET, 'preferences', reader, null, 1),
      signToken(SECRET, 'feed', 999_999, null, 1),
      '',
    ];
    for (const token of forged) {
      const res = await get(`/feeds/me.atom?token=${encodeURIComponent(token)}`);
      expect(res.statusCode, token).toBe(404);
      expect(res.json(), token).toEqual({ error: 'not found' });
      expect(res.headers['cache-control']).toBe('no-store');
    }
    expect((await get('/feeds/me.json')).statusCode).toBe(404);

    // "Sign out every link" revokes it; a link of the new version works.
    const version = await new SubscriberRepository(t.db).signOutEverywhere(reader);
    expect(version).toBe(2);
    expect((await get(mine('json'))).statusCode).toBe(404);
    expect((await get(mine('json', reader, 2))).statusCode).toBe(200);
    // A reader who unsubscribed has no feed either.
    await new SubscriberRepository(t.db).unsubscribe(reader);
    expect((await get(mine('json', reader, 2))).statusCode).toBe(404);
  });

  it('shows in the private feed the topics the reader follows, as the digest does; a topic feed shows all', async () => {
    await insertPaperTopicRows(t.db, [
      { paper_id: hostileId, topic_id: 'agents', score: 0.5, position: 1, taxonomy_version: 'v' },
    ]);
    const llmReader = await insertSubscriberRow(t.db, { email: 'llm-reader@example.com', status: 'active' });
    await insertPreferencesRow(t.db, { subscriber_id: llmReader, topics: ['llm'], frequency: 'daily', max_papers: 5 });
    // A new app: its candidate list is read now, with the paper's second topic.
    const fresh = await buildApi({
      db: t.db,
      config: loadConfig({ PAPERBOY_QUEUE_PREFIX: prefix, PAPERBOY_SECRET: SECRET, PAPERBOY_PUBLIC_URL: PUBLIC_URL }),
      logger: pino({ level: 'silent' }),
      redis,
      taxonomy: loadTaxonomy(),
      readCacheMs: 0,
    });
    try {
      type JsonFeed = { items: Array<{ content_html: string; tags?: string[] }> };
      const hostileItem = (feed: JsonFeed) => feed.items.find((i) => i.content_html.includes('Mallory'))!;
      const own = hostileItem((await fresh.inject({ url: mine('json', llmReader) })).json() as JsonFeed);
      expect(own.content_html).toContain('llm');
      expect(own.content_html).not.toContain('agents');
      expect(own.tags).not.toContain('agents');
      const shared = hostileItem((await fresh.inject({ url: '/feeds/topics/llm.json' })).json() as JsonFeed);
      expect(shared.content_html).toContain('agents');
      // The digest's "more / less like this" links: in the reader's own feed only, and they work.
      expect(shared.content_html).not.toContain('Less like this');
      const less = /<a href="([^"]+)">Less like this<\/a>/.exec(own.content_html)?.[1]?.replaceAll('&amp;', '&');
      expect(less?.startsWith(`${PUBLIC_URL}/feedback?token=`)).toBe(true);
      const clicked = await fresh.inject({ url: less!.slice(PUBLIC_URL.length) });
      expect(clicked.body).toContain('Noted: you want fewer papers like');
      const words = await t.db
        .selectFrom('paper_feedback')
        .select(['paper_id', 'signal'])
        .where('subscriber_id', '=', llmReader)
        .execute();
      expect(words).toEqual([{ paper_id: hostileId, signal: -1 }]);
      // Said "less": the paper leaves their feed.
      const after = (await fresh.inject({ url: mine('json', llmReader) })).json() as JsonFeed;
      expect(after.items.some((i) => i.content_html.includes('Mallory'))).toBe(false);
    } finally {
      await fresh.close();
      await t.db
        .deleteFrom('paper_topics')
        .where('paper_id', '=', hostileId)
        .where('topic_id', '=', 'agents')
        .execute();
    }
  });

  it('answers 404 to an unknown topic or format and 400 to a search without q or with bad parameters', async () => {
    for (const url of [
      '/feeds/topics/astrology.rss',
      '/feeds/topics/llm.xml',
      '/feeds/topics/llm',
      '/feeds/search.xml',
    ])
      expect((await get(url)).statusCode, url).toBe(404);
    for (const url of [
      '/feeds/search.rss',
      '/feeds/search.json?q=',
      `/feeds/search.atom?q=${'x'.repeat(201)}`,
      '/feeds/search.rss?q=%00',
      '/feeds/search.rss?q=a&sort=random',
      '/feeds/search.rss?q=a&limit=5',
      '/feeds/topics/llm.rss?x=1',
    ]) {
      const res = await get(url);
      expect(res.statusCode, url).toBe(400);
      expect(res.json().error, url).toBe('invalid request');
    }
    expect((await get('/feeds/search.rss')).json().details).toEqual([expect.stringMatching(/^q: /)]);
  });

  it('limits requests per client like the read API, on a budget of its own', async () => {
    const limitedApp = await buildApi({
      db: t.db,
      // Rate-limit keys of its own (deleted after the tests).
      config: loadConfig({
        PAPERBOY_QUEUE_PREFIX: prefix,
        PAPERBOY_KEY_PREFIX: `${prefix}-limited`,
        PAPERBOY_SECRET: SECRET,
        PAPERBOY_READ_PER_MINUTE: '3',
      }),
      logger: pino({ level: 'silent' }),
      redis,
      taxonomy: loadTaxonomy(),
      readCacheMs: 0,
    });
    try {
      const codes = [];
      for (const url of ['/feeds/topics/llm.rss', '/feeds/search.json?q=a', '/feeds/me.atom', '/feeds/topics/llm.json'])
        codes.push((await limitedApp.inject({ url, remoteAddress: '192.0.2.7' })).statusCode);
      expect(codes).toEqual([200, 200, 404, 429]);
      const limited = await limitedApp.inject({ url: '/feeds/topics/llm.rss', remoteAddress: '192.0.2.7' });
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      // The read API's budget is apart, and so is another client.
      expect((await limitedApp.inject({ url: '/api/topics', remoteAddress: '192.0.2.7' })).statusCode).toBe(200);
      expect((await limitedApp.inject({ url: '/feeds/topics/llm.rss', remoteAddress: '192.0.2.8' })).statusCode).toBe(
        200,
      );
    } finally {
      await limitedApp.close();
    }
  });

  it('lets a feed reader discover the topic feeds from the subscribe page', async () => {
    const page = (await get('/subscribe')).body;
    const head = page.slice(0, page.indexOf('</head>'));
    const hrefs = [
      ...head.matchAll(/<link rel="alternate" type="application\/rss\+xml" title="[^"]+" href="([^"]+)">/g),
    ].map((m) => m[1]!);
    expect(hrefs).toEqual(loadTaxonomy().topics.map((t) => `/feeds/topics/${t.id}.rss`));
    for (const href of hrefs) {
      const res = await get(href);
      expect(res.statusCode, href).toBe(200);
      await readFeed('rss', res.body);
    }
  });

  it('describes the feeds in the OpenAPI document', async () => {
    interface Operation {
      parameters: Array<{ name: string; required: boolean; schema: { enum?: string[] } }>;
      responses: Record<string, { content?: Record<string, unknown> }>;
    }
    const doc = (await get('/api/openapi.json')).json() as { paths: Record<string, { get: Operation }> };
    for (const format of FEED_FORMATS) {
      expect(doc.paths[`/feeds/topics/{topic}.${format}`]!.get.parameters[0]!.schema.enum).toContain('llm');
      const search = doc.paths[`/feeds/search.${format}`]!.get;
      expect(search.parameters.find((p) => p.name === 'q')).toMatchObject({ required: true });
      expect(Object.keys(search.responses)).toEqual(expect.arrayContaining(['200', '304', '400', '429', '503']));
      expect(doc.paths[`/feeds/me.${format}`]!.get.responses['404']).toBeDefined();
    }
    expect(Object.keys(doc.paths['/feeds/me.rss']!.get.responses['200']!.content!)).toEqual(['application/rss+xml']);
  });
});
