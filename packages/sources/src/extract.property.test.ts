/**
 * Property tests over every adapter's `extract`: real captures mutated at random (cut, repeated,
 * swapped, hostile text inserted, the embedded JSON rewritten or broken) and random HTML, JSON
 * and XML. Whatever the page, extract returns (no adapter documents an error: a page it cannot
 * read gives zero entries and a warning) and every entry keeps the RawEntry contract. Runs are
 * few (the suite stays within seconds); a counterexample found here becomes a plain test in
 * `extract.regressions.test.ts`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  attributeJson,
  mutatedJson,
  mutatedText,
  randomHfEntries,
  randomHtml,
  randomXml,
} from '../test/fixture-kit/arbitraries.js';
import { githubTrendingSource, hfApiOptions, hfPapersPageOptions } from '../test/fixtures/generic/examples.js';
import type { GenericOptions } from './generic/index.js';
import { createPage, PageTooComplexError } from './page.js';
import { getAdapter } from './registry.js';
import { TEXT_LIMITS } from './text.js';
import type { ExtractResult, RawEntry, SourceAdapter } from './types.js';

const RUNS = 40;
const TIMEOUT = 120_000;

function read(adapter: string, name: string): string {
  return readFileSync(new URL(`../test/fixtures/${adapter}/${name}`, import.meta.url), 'utf8');
}

function fixtures(adapter: string, ext: string, dir = ''): string[] {
  const folder = new URL(`../test/fixtures/${adapter}/${dir}`, import.meta.url);
  return readdirSync(folder)
    .filter((f) => f.endsWith(`.${ext}`))
    .map((f) => read(adapter, `${dir}${f}`));
}

const RAW_ENTRY_KEYS = new Set([
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
  'primaryCategory',
  'version',
  'arxivComments',
  'journalRef',
  'doi',
  'license',
  'githubRepo',
  'githubStars',
  'projectPage',
  'aiSummary',
  'aiKeywords',
  'organization',
  'submittedBy',
  'thumbnail',
  'mediaUrls',
]);
// Ids are not cut (a cut id could name another item): the processor bounds them.
const LIMITS: Record<string, number> = {
  title: TEXT_LIMITS.title,
  abstract: TEXT_LIMITS.abstract,
  section: TEXT_LIMITS.label,
  url: TEXT_LIMITS.url,
  primaryCategory: TEXT_LIMITS.label,
  arxivComments: TEXT_LIMITS.summary,
  journalRef: TEXT_LIMITS.summary,
  doi: TEXT_LIMITS.label,
  aiSummary: TEXT_LIMITS.summary,
  organization: TEXT_LIMITS.label,
  submittedBy: TEXT_LIMITS.label,
};
const TEXT_KEYS = [
  'externalId',
  'arxivId',
  'title',
  'abstract',
  'section',
  'url',
  'primaryCategory',
  'arxivComments',
  'journalRef',
  'doi',
  'aiSummary',
  'organization',
  'submittedBy',
] as const;
const URL_KEYS = ['url', 'license', 'githubRepo', 'projectPage', 'thumbnail'] as const;

/** The RawEntry contract, as the contract test states it for good pages, for any page. */
export function expectContract(adapter: SourceAdapter, result: ExtractResult): void {
  expect(Array.isArray(result.entries)).toBe(true);
  expect(Array.isArray(result.warnings)).toBe(true);
  for (const warning of result.warnings) expect(warning.startsWith(`${adapter.id}: `), warning).toBe(true);
  if (result.quiet !== undefined) expect(result.quiet).toBe(true);
  if (result.quiet) expect(result.entries).toEqual([]);

  const ids = new Set<string>();
  result.entries.forEach((entry: RawEntry, i) => {
    for (const key of Object.keys(entry)) expect(RAW_ENTRY_KEYS.has(key), `unknown field ${key}`).toBe(true);
    expect(entry.rank).toBe(i + 1);
    if (entry.externalId !== undefined) {
      expect(entry.externalId).toMatch(/\S/);
      expect(ids.has(entry.externalId), `repeated id ${entry.externalId}`).toBe(false);
      ids.add(entry.externalId);
    }
    for (const key of TEXT_KEYS) {
      const value = entry[key];
      if (value === undefined) continue;
      expect(typeof value, key).toBe('string');
      expect(value, key).not.toBe('');
      if (key !== 'externalId' && key !== 'arxivId') expect(value.length, key).toBeLessThanOrEqual(LIMITS[key]!);
    }
    if (entry.title !== undefined) expect(entry.title).not.toMatch(/[\r\n\t]|\s{2}|^\s|\s$/);
    for (const key of URL_KEYS) {
      const value = entry[key];
      if (value === undefined) continue;
      const url = new URL(value);
      expect(url.protocol, key).toMatch(/^https?:$/);
      expect(url.href, key).toBe(value);
      expect(value.length, key).toBeLessThanOrEqual(TEXT_LIMITS.url);
    }
    for (const value of entry.mediaUrls ?? []) {
      expect(new URL(value).protocol).toMatch(/^https?:$/);
      expect(new URL(value).href).toBe(value);
    }
    if (entry.mediaUrls !== undefined) expect(entry.mediaUrls.length).toBeGreaterThan(0);
    if (entry.mediaUrls !== undefined) expect(entry.mediaUrls.length).toBeLessThanOrEqual(TEXT_LIMITS.items);
    if (entry.aiKeywords !== undefined) expect(entry.aiKeywords.length).toBeLessThanOrEqual(TEXT_LIMITS.items);
    if (entry.version !== undefined) expect(Number.isSafeInteger(entry.version) && entry.version >= 1).toBe(true);
    for (const key of ['authors', 'categories', 'aiKeywords'] as const) {
      const list = entry[key];
      if (list === undefined) continue;
      expect(Array.isArray(list)).toBe(true);
      expect(list.length).toBeGreaterThan(0);
      for (const item of list) {
        expect(typeof item).toBe('string');
        expect(item).toMatch(/^\S(?:.*\S)?$/s);
        expect(item.length).toBeLessThanOrEqual(key === 'authors' ? TEXT_LIMITS.author * 2 : TEXT_LIMITS.label);
      }
    }
    for (const key of ['upvotes', 'comments', 'githubStars'] as const) {
      const count = entry[key];
      if (count !== undefined) expect(Number.isSafeInteger(count) && count >= 0, `${key} ${count}`).toBe(true);
    }
    if (entry.publishedAt !== undefined) expect(new Date(entry.publishedAt).toISOString()).toBe(entry.publishedAt);
  });
}

/** Extract and check the contract; PageTooComplexError (documented on Page.$) is the one error allowed. */
function extract(
  adapterId: string,
  url: string,
  body: string,
  contentType: string,
  options?: unknown,
): ExtractResult | undefined {
  const adapter = getAdapter(adapterId);
  let result: ExtractResult;
  try {
    result = adapter.extract(createPage(url, body, contentType), options);
  } catch (error) {
    if (error instanceof PageTooComplexError) return undefined;
    throw error;
  }
  expectContract(adapter, result);
  return result;
}

function property<T>(arb: fc.Arbitrary<T>, run: (value: T) => void, numRuns = RUNS): void {
  try {
    fc.assert(fc.property(arb, run), { numRuns });
  } catch (error) {
    // Counterexamples can be megabytes of markup: keep the report readable.
    const message = (error as Error).message;
    throw new Error(message.length > 3_000 ? `${message.slice(0, 1_500)}\n…\n${message.slice(-1_500)}` : message, {
      cause: error,
    });
  }
}

/** The first listing `data-props` JSON of an hf-papers page, and the page with a hole where it was. */
function splitListingProps(page: string): { before: string; json: unknown; after: string } {
  const start = page.indexOf('data-props="{&quot;dailyPapers&quot;');
  const open = start + 'data-props="'.length;
  const close = page.indexOf('"', open);
  const json = JSON.parse(
    page
      .slice(open, close)
      .replaceAll('&quot;', '"')
      .replaceAll('&lt;', '<')
      .replaceAll('&gt;', '>')
      .replaceAll('&amp;', '&'),
  ) as unknown;
  return { before: page.slice(0, open), json, after: page.slice(close) };
}

describe('hf-papers extract', () => {
  const url = 'https://huggingface.co/papers/date/2026-07-31';
  const seeds = fixtures('hf-papers', 'html');
  const page = splitListingProps(read('hf-papers', 'hf-papers-date-2026-07-31.html'));

  it('keeps the contract on mutated captures', { timeout: TIMEOUT }, () => {
    property(mutatedText(seeds), (body) => void extract('hf-papers', url, body, 'text/html'));
  });

  it('keeps the contract when the listing JSON holds hostile values', { timeout: TIMEOUT }, () => {
    property(
      mutatedJson(page.json, 8),
      (json) => void extract('hf-papers', url, page.before + attributeJson(json) + page.after, 'text/html'),
    );
  });

  it('keeps the contract when the data-props attribute is broken', { timeout: TIMEOUT }, () => {
    property(
      mutatedText([attributeJson(page.json)]),
      (props) => void extract('hf-papers', url, page.before + props + page.after, 'text/html'),
    );
  });

  it('keeps the contract on random HTML', { timeout: TIMEOUT }, () => {
    property(randomHtml, (body) => void extract('hf-papers', url, body, 'text/html'), 100);
  });
});

describe('hf-api extract', () => {
  const url = 'https://huggingface.co/api/daily_papers';
  const seeds = fixtures('hf-api', 'json');

  it('keeps the contract on mutated captures', { timeout: TIMEOUT }, () => {
    property(mutatedText(seeds), (body) => void extract('hf-api', url, body, 'application/json'));
  });

  it('keeps the contract when the JSON holds hostile values', { timeout: TIMEOUT }, () => {
    const arb = fc.constantFrom(...seeds.map((s) => JSON.parse(s) as unknown)).chain((json) => mutatedJson(json, 8));
    property(arb, (json) => void extract('hf-api', url, JSON.stringify(json), 'application/json'));
  });

  it('keeps the contract on random JSON and random entries', { timeout: TIMEOUT }, () => {
    property(
      fc.oneof(fc.jsonValue(), randomHfEntries),
      (json) => void extract('hf-api', url, JSON.stringify(json) ?? 'null', 'application/json'),
      150,
    );
  });
});

describe('arxiv-list extract', () => {
  const url = 'https://arxiv.org/list/cs.LG/new';
  const seeds = fixtures('arxiv-list', 'html');

  it('keeps the contract on mutated captures', { timeout: TIMEOUT }, () => {
    property(mutatedText(seeds), (body) => void extract('arxiv-list', url, body, 'text/html'), 25);
  });

  it('keeps the contract on random HTML', { timeout: TIMEOUT }, () => {
    property(randomHtml, (body) => void extract('arxiv-list', url, body, 'text/html'), 150);
  });
});

describe('arxiv-rss extract', () => {
  const url = 'https://rss.arxiv.org/rss/cs.LG';
  const seeds = [...fixtures('arxiv-rss', 'xml'), ...fixtures('arxiv-rss', 'xml', 'seeds/')];

  it('keeps the contract on mutated captures', { timeout: TIMEOUT }, () => {
    property(mutatedText(seeds), (body) => void extract('arxiv-rss', url, body, 'application/xml'));
  });

  it('keeps the contract on random XML', { timeout: TIMEOUT }, () => {
    property(randomXml, (body) => void extract('arxiv-rss', url, body, 'application/xml'), 150);
  });
});

describe('generic extract', () => {
  const github = githubTrendingSource.options as GenericOptions;
  const cases: Array<{ url: string; seeds: string[]; contentType: string; options: GenericOptions }> = [
    {
      url: githubTrendingSource.url,
      seeds: [read('generic', 'github-trending-2023-05-18.html')],
      contentType: 'text/html',
      options: github,
    },
    {
      url: 'https://huggingface.co/api/daily_papers',
      seeds: fixtures('hf-api', 'json'),
      contentType: 'application/json',
      options: hfApiOptions,
    },
    {
      url: 'https://huggingface.co/papers',
      seeds: fixtures('hf-papers', 'html'),
      contentType: 'text/html',
      options: hfPapersPageOptions,
    },
  ];

  it.each(cases.map((c) => [c.url, c] as const))(
    'keeps the contract on mutated captures read with the options for %s',
    { timeout: TIMEOUT },
    (_url, c) => {
      property(mutatedText(c.seeds), (body) => void extract('generic', c.url, body, c.contentType, c.options), 25);
    },
  );

  it('keeps the contract on random HTML and JSON', { timeout: TIMEOUT }, () => {
    property(
      randomHtml,
      (body) => void extract('generic', 'https://github.com/trending', body, 'text/html', github),
      100,
    );
    property(
      randomHfEntries,
      (json) =>
        void extract(
          'generic',
          'https://huggingface.co/api/daily_papers',
          JSON.stringify(json),
          'application/json',
          hfApiOptions,
        ),
      100,
    );
  });
});
