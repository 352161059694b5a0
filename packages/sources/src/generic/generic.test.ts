import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { hfApiOptions, hfPapersPageOptions } from '../../test/fixtures/generic/examples.js';
import { hfApiAdapter } from '../hf-api/index.js';
import { hfPapersAdapter } from '../hf-papers/index.js';
import { createPage } from '../page.js';
import type { ExtractResult } from '../types.js';
import { extractGeneric, type GenericCssOptions, type GenericOptions, genericAdapter } from './index.js';

const PAGE_URL = 'https://papers.example.org/list/today';

function html(body: string, options: GenericOptions, url = PAGE_URL): ExtractResult {
  return genericAdapter.extract(
    createPage(url, `<!DOCTYPE html><html><body>${body}</body></html>`, 'text/html'),
    options,
  );
}

function json(body: unknown, options: GenericOptions, url = PAGE_URL): ExtractResult {
  return genericAdapter.extract(createPage(url, JSON.stringify(body), 'application/json'), options);
}

const LISTING = `
  <ol class="papers">
    <li data-id="2606.00001" data-section="Featured">
      <h2><a href="/p/2606.00001">Sparse   Attention,
        Revisited &amp; Extended</a></h2>
      <p class="abstract">We revisit <script>track()</script>sparse attention.</p>
      <span class="by"><a>Ada Lovelace</a>, <a>Alan Turing</a></span>
      <time datetime="2026-06-12T09:30:00Z">yesterday</time>
      <a href="https://arxiv.org/abs/2606.00001v2">arXiv</a>
      <span class="tag">cs.LG</span><span class="tag">cs.CL</span><span class="tag">cs.LG</span>
      <footer><span>1.2k votes</span> · <a href="#c">14 comments</a></footer>
    </li>
    <li data-id="2606.00002">
      <h2><a href="https://elsewhere.example.com/x">Second Paper</a></h2>
      <footer><span>shared</span><span>7 votes</span></footer>
    </li>
  </ol>`;

const LISTING_OPTIONS: GenericCssOptions = {
  item: 'ol.papers > li',
  fields: {
    title: 'h2 a',
    url: { selector: 'h2 a', attr: 'href' },
    id: { selector: '', attr: 'data-id' },
    arxivId: { selector: 'a[href*="/abs/"]', attr: 'href', pattern: '/abs/([^/?#]+)' },
    abstract: 'p.abstract',
    authors: '.by a',
    upvotes: { selector: 'footer span', pattern: '([\\d.]+k?) votes' },
    comments: 'a[href="#c"]',
    publishedAt: { selector: 'time', attr: 'datetime' },
    section: { selector: '', attr: 'data-section' },
    categories: '.tag',
  },
};

describe('generic, CSS mode', () => {
  it('reads every kind of field', () => {
    const { entries, warnings } = html(LISTING, LISTING_OPTIONS);
    expect(warnings).toEqual([]);
    expect(entries[0]).toEqual({
      rank: 1,
      externalId: '2606.00001',
      arxivId: '2606.00001v2',
      title: 'Sparse Attention, Revisited & Extended',
      url: 'https://papers.example.org/p/2606.00001',
      abstract: 'We revisit sparse attention.',
      authors: ['Ada Lovelace', 'Alan Turing'],
      upvotes: 1200,
      comments: 14,
      publishedAt: '2026-06-12T09:30:00.000Z',
      section: 'Featured',
      categories: ['cs.LG', 'cs.CL'],
    });
  });

  it('takes the first match that gives a value, and leaves out fields an item lacks', () => {
    const [, second] = html(LISTING, LISTING_OPTIONS).entries;
    expect(second).toEqual({
      rank: 2,
      externalId: '2606.00002',
      title: 'Second Paper',
      url: 'https://elsewhere.example.com/x',
      upvotes: 7,
    });
  });

  it('keeps only the first match with all: false; with all: true, joins the text of every match', () => {
    const options: GenericCssOptions = {
      item: 'li',
      fields: {
        title: 'h2',
        authors: { selector: '.by a', all: false },
        abstract: { selector: 'footer span', all: true },
        upvotes: { selector: 'footer span', all: true },
      },
    };
    const [first, second] = html(LISTING, options).entries;
    expect(first?.authors).toEqual(['Ada Lovelace']);
    expect(second?.abstract).toBe('shared 7 votes');
    expect(second?.upvotes).toBe(7); // counts, URLs and dates take the first value that converts
  });

  it('applies a template after the pattern', () => {
    const options: GenericCssOptions = {
      item: 'li',
      fields: { title: 'h2', url: { selector: '', attr: 'data-id', template: '/abs/{}' } },
    };
    expect(html(LISTING, options).entries.map((e) => e.url)).toEqual([
      'https://papers.example.org/abs/2606.00001',
      'https://papers.example.org/abs/2606.00002',
    ]);
  });

  it('puts a value with "$" into a template as it is', () => {
    const body = '<p data-id="a$&b">T</p>';
    const [entry] = html(body, {
      item: 'p',
      fields: { title: '', id: { selector: '', attr: 'data-id', template: 'x-{}' } },
    }).entries;
    expect(entry?.externalId).toBe('x-a$&b');
  });

  it('uses the url, then the title, as externalId when there is no id field', () => {
    const body = '<div class="x"><a href="/a">A</a></div><div class="x"><b>B</b></div>';
    const { entries } = html(body, { item: 'div.x', fields: { title: 'a, b', url: { selector: 'a', attr: 'href' } } });
    expect(entries.map((e) => e.externalId)).toEqual(['https://papers.example.org/a', 'B']);
  });

  it('keeps items without a title, and counts them in a warning', () => {
    const body = '<div class="x"><a href="/a">A</a></div><div class="x"><a href="/b"></a></div><div class="x"></div>';
    const { entries, warnings } = html(body, {
      item: 'div.x',
      fields: { title: 'a', url: { selector: 'a', attr: 'href' } },
    });
    expect(entries).toEqual([
      { rank: 1, externalId: 'https://papers.example.org/a', title: 'A', url: 'https://papers.example.org/a' },
      { rank: 2, externalId: 'https://papers.example.org/b', url: 'https://papers.example.org/b' },
      { rank: 3 },
    ]);
    expect(warnings).toEqual(['generic: 2 of 3 items have no title (kept without one)']);
  });

  it('skips repeats of an id, with a warning', () => {
    const body = '<p data-id="1">A</p><p data-id="2">B</p><p data-id="1">A again</p>';
    const { entries, warnings } = html(body, {
      item: 'p',
      fields: { title: '', id: { selector: '', attr: 'data-id' } },
    });
    expect(entries.map((e) => [e.rank, e.title])).toEqual([
      [1, 'A'],
      [2, 'B'],
    ]);
    expect(warnings).toEqual(['generic: 1 repeated items (same id) were skipped']);
  });

  it('warns about a field that finds nothing on any item (a renamed class, say)', () => {
    const { entries, warnings } = html(LISTING, {
      item: 'li',
      fields: { title: 'h2', abstract: 'p.summary', upvotes: '.votes' },
    });
    expect(entries).toHaveLength(2);
    expect(warnings).toEqual([
      'generic: field "abstract" found nothing in any of the 2 items',
      'generic: field "upvotes" found nothing in any of the 2 items',
    ]);
  });

  it('gives zero entries and a warning when the item selector matches nothing', () => {
    expect(html(LISTING, { item: 'article', fields: { title: 'h2' } })).toEqual({
      entries: [],
      warnings: ['generic: item selector "article" matched nothing'],
    });
  });

  it('drops URLs that are not http(s) and counts that cannot be read', () => {
    const body = '<p><a href="javascript:void(0)">A</a><i>n/a</i></p>';
    const [entry] = html(body, {
      item: 'p',
      fields: { title: 'a', url: { selector: 'a', attr: 'href' }, upvotes: 'i' },
    }).entries;
    expect(entry).toEqual({ rank: 1, externalId: 'A', title: 'A' });
  });
});

describe('generic, options it cannot use: a warning, never a throw', () => {
  it.each<[string, unknown, string]>([
    ['no options', undefined, 'generic: invalid options: Required'],
    [
      'a malformed item selector',
      { item: 'li[', fields: { title: 'a' } },
      'generic: invalid options: item: invalid CSS selector "li[" (Expected name, found )',
    ],
    [
      'a malformed field selector',
      { item: 'li', fields: { title: 'a >> b' } },
      'generic: invalid options: fields.title: invalid CSS selector "a >> b" (Did not expect successive traversals.)',
    ],
    [
      'a malformed pattern',
      { item: 'li', fields: { title: { selector: 'a', pattern: '[' } } },
      expect.stringMatching(
        /^generic: invalid options: fields\.title\.pattern: invalid regular expression/,
      ) as unknown as string,
    ],
    [
      'options of another shape',
      { selectors: ['li'] },
      "generic: invalid options: item: Required; fields: Required; Unrecognized key(s) in object: 'selectors'",
    ],
  ])('%s', (_what, options, warning) => {
    const result = genericAdapter.extract(
      createPage(PAGE_URL, `<ul>${LISTING}</ul>`, 'text/html'),
      options as GenericOptions,
    );
    expect(result).toEqual({ entries: [], warnings: [warning] });
  });
});

describe('generic, JSON mode', () => {
  it('reads a JSON body: path to the items, paths in each item', () => {
    const body = {
      data: {
        papers: [
          { name: 'A', link: '/a', votes: '12', who: [{ n: 'X' }, { n: 'Y' }] },
          { name: 'B', link: '/b', votes: 3, who: [] },
        ],
      },
    };
    const { entries, warnings } = json(body, {
      json: { path: 'data.papers', fields: { title: 'name', url: 'link', upvotes: 'votes', authors: 'who[*].n' } },
    });
    expect(warnings).toEqual([]);
    expect(entries).toEqual([
      {
        rank: 1,
        externalId: 'https://papers.example.org/a',
        title: 'A',
        url: 'https://papers.example.org/a',
        upvotes: 12,
        authors: ['X', 'Y'],
      },
      {
        rank: 2,
        externalId: 'https://papers.example.org/b',
        title: 'B',
        url: 'https://papers.example.org/b',
        upvotes: 3,
      },
    ]);
  });

  it('collects items through [*], and reads arrays of strings as lists', () => {
    const body = { sections: [{ items: [{ t: 'A', tags: ['x', 'y'] }] }, { items: [{ t: 'B', tags: ['z'] }] }] };
    const { entries } = json(body, { json: { path: 'sections[*].items', fields: { title: 't', categories: 'tags' } } });
    expect(entries.map((e) => [e.title, e.categories])).toEqual([
      ['A', ['x', 'y']],
      ['B', ['z']],
    ]);
  });

  it('reads JSON in a <script> element', () => {
    const page = `<script id="__NEXT_DATA__" type="application/json">{"props":{"pageProps":{"items":[{"title":"A &amp; B","id":"7"}]}}}</script>`;
    const { entries, warnings } = html(page, {
      json: { script: 'script#__NEXT_DATA__', path: 'props.pageProps.items', fields: { title: 'title', id: 'id' } },
    });
    expect(warnings).toEqual([]);
    expect(entries).toEqual([{ rank: 1, externalId: '7', title: 'A & B' }]);
  });

  it('finds the attribute whose JSON has items at the path, skipping others', () => {
    const props = (value: unknown) => `<div data-props="${JSON.stringify(value).replace(/"/g, '&quot;')}"></div>`;
    const page = `${props({ theme: 'dark' })}<div data-props="{broken"></div>${props({ list: [{ t: 'A' }] })}`;
    expect(html(page, { json: { attr: 'data-props', path: 'list', fields: { title: 't' } } }).entries).toEqual([
      { rank: 1, externalId: 'A', title: 'A' },
    ]);
  });

  it('reads the body when the page is JSON, even with script or attr given', () => {
    const { entries } = json([{ t: 'A' }], { json: { attr: 'data-props', path: '', fields: { title: 't' } } });
    expect(entries.map((e) => e.title)).toEqual(['A']);
  });

  it.each<[string, string, string | undefined, GenericOptions, string]>([
    [
      'a body that is not JSON',
      '<html></html>',
      'application/json',
      { json: { path: '', fields: { title: 't' } } },
      'generic: body is not valid JSON',
    ],
    [
      'a path with no items',
      '{"a":{"b":[]}}',
      'application/json',
      { json: { path: 'a.b', fields: { title: 't' } } },
      'generic: json.path "a.b" found no items in the body',
    ],
    [
      'no element with the attribute',
      '<div></div>',
      'text/html',
      { json: { attr: 'data-props', path: 'x', fields: { title: 't' } } },
      'generic: no element has a data-props attribute',
    ],
    [
      'a script selector matching nothing',
      '<div></div>',
      'text/html',
      { json: { script: 'script#data', path: 'x', fields: { title: 't' } } },
      'generic: json.script "script#data" matched nothing',
    ],
    [
      'JSON holders without items',
      '<div data-props="{&quot;x&quot;:[]}"></div><div data-props="nope"></div>',
      'text/html',
      { json: { attr: 'data-props', path: 'x', fields: { title: 't' } } },
      'generic: json.path "x" found no items in the JSON of 2 elements (1 of them not valid JSON)',
    ],
  ])('%s: zero entries, a warning', (_what, body, contentType, options, warning) => {
    const { entries, warnings } = genericAdapter.extract(createPage(PAGE_URL, body, contentType), options);
    expect(entries).toEqual([]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.startsWith(warning)).toBe(true);
  });
});

describe('generic, configured like the hand-written Hugging Face adapters', () => {
  const hfApiFixtures = new URL('../../test/fixtures/hf-api/', import.meta.url);
  const hfPapersFixtures = new URL('../../test/fixtures/hf-papers/', import.meta.url);

  // The fields a generic configuration can name; the hand-written adapters read more (code, stars, …).
  const GENERIC_FIELDS = new Set([
    'rank',
    'externalId',
    'arxivId',
    'title',
    'abstract',
    'authors',
    'url',
    'upvotes',
    'comments',
    'publishedAt',
    'section',
    'categories',
  ]);

  /** The generic adapter with `options` finds on the page exactly what the hand-written `adapter` finds (its fields). */
  const expectSameAs = (
    adapter: { extract: typeof hfApiAdapter.extract },
    options: GenericOptions,
    page: ReturnType<typeof createPage>,
  ) => {
    const expected = adapter.extract(page);
    expect(expected.entries.length).toBeGreaterThan(0);
    expect(expected.entries.some((e) => e.githubRepo !== undefined || e.aiSummary !== undefined)).toBe(true);
    const entries = expected.entries.map((e) =>
      Object.fromEntries(Object.entries(e).filter(([key]) => GENERIC_FIELDS.has(key))),
    );
    expect(extractGeneric(page, options)).toEqual({ ...expected, entries });
  };

  it.each(readdirSync(hfApiFixtures).filter((f) => f.endsWith('.json')))(
    'JSON body: %s gives what hf-api gives',
    (name) => {
      const body = readFileSync(new URL(name, hfApiFixtures), 'utf8');
      expectSameAs(
        hfApiAdapter,
        hfApiOptions,
        createPage('https://huggingface.co/api/daily_papers', body, 'application/json'),
      );
    },
  );

  it.each([
    'hf-papers-date-2026-06-12.html',
    'hf-papers-date-2026-07-31.html',
    'hf-papers-trending.html',
    'hf-papers-tricky-text.html',
  ])('data-props: %s gives what hf-papers gives', (name) => {
    const body = readFileSync(new URL(name, hfPapersFixtures), 'utf8');
    const url = 'https://huggingface.co/papers/date/2026-06-12';
    expectSameAs(hfPapersAdapter, hfPapersPageOptions, createPage(url, body, 'text/html'));
  });
});
