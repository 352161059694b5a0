/**
 * Time extraction (parse included) per page, on fixtures and on 50-entry pages built from
 * real papers. Run from the repo root: pnpm exec tsx packages/sources/test/fixture-kit/measure-extract.ts
 */
import { readFileSync } from 'node:fs';
import { createPage } from '../../src/page.js';
import { getAdapter } from '../../src/registry.js';
import { githubTrendingSource, hfApiOptions, hfPapersPageOptions } from '../fixtures/generic/examples.js';
import { type ArxivFeedItem, renderArxivRssFeed } from './arxiv-feed.js';
import { type ArxivListing, renderArxivNewPage } from './arxiv-page.js';
import { csLgNew20260612 } from './datasets.js';
import { renderHfPapersPage } from './hf-page.js';
import { byUpvotes, type HfApiEntry, loadAllHfEntries } from './real-data.js';

function fixture(adapter: string, name: string): string {
  return readFileSync(new URL(`../fixtures/${adapter}/${name}`, import.meta.url), 'utf8');
}

/** `count` entries: the real ones, then copies under other ids. */
function fifty<T>(items: readonly T[], count: number, withId: (item: T, copy: number) => T): T[] {
  return Array.from({ length: count }, (_, i) => withId(items[i % items.length] as T, Math.floor(i / items.length)));
}

const hf50 = fifty(byUpvotes(loadAllHfEntries()), 50, (e: HfApiEntry, copy) => {
  if (copy === 0) return e;
  const c = structuredClone(e);
  c.paper.id = `${c.paper.id}${copy}`;
  return c;
});
const arxivSpec = csLgNew20260612();
const arxivAll = [...arxivSpec.newSubmissions, ...arxivSpec.crossLists];
const arxiv50 = fifty(arxivAll, 50, (e: ArxivListing, copy) =>
  copy === 0 ? e : { ...e, id: `${e.id.slice(0, 5)}${String(90000 + copy * 100 + arxivAll.indexOf(e))}` },
);

/** A cs.LG feed of `count` items: the 14 papers of 12 June 2026, then copies under other ids. */
function arxivFeed(count: number): string {
  const items = fifty(arxivAll, count, (e: ArxivListing, copy) =>
    copy === 0 ? e : { ...e, id: `${e.id.slice(0, 5)}${String(50000 + copy * 100 + arxivAll.indexOf(e))}` },
  );
  const feedItems: ArxivFeedItem[] = items.map((listing, i) => ({
    listing,
    version: 1,
    announceType: i % 3 === 0 ? 'cross' : 'new',
  }));
  return renderArxivRssFeed({
    category: 'cs.LG',
    lastBuildDate: 'Fri, 12 Jun 2026 04:00:31 +0000',
    pubDate: 'Fri, 12 Jun 2026 00:00:00 -0400',
    items: feedItems,
  });
}

const cases: Array<[string, string, string, string, string, unknown?]> = [
  [
    'hf-papers',
    'HF day page, 50 entries (generated)',
    'https://huggingface.co/papers/date/2026-06-12',
    renderHfPapersPage({ documentTitle: 'Daily Papers', heading: 'Daily Papers', entries: hf50 }),
    'text/html',
  ],
  [
    'hf-papers',
    'HF day page, 30 entries (fixture)',
    'https://huggingface.co/papers/date/2026-06-12',
    fixture('hf-papers', 'hf-papers-date-2026-06-12.html'),
    'text/html',
  ],
  [
    'hf-papers',
    'HF cards fallback, 5 entries (fixture)',
    'https://huggingface.co/papers',
    fixture('hf-papers', 'broken-hf-papers-truncated-json.html'),
    'text/html',
  ],
  [
    'hf-api',
    'HF API, 30 entries (real capture)',
    'https://huggingface.co/api/daily_papers',
    fixture('hf-api', 'hf-api-daily_papers-limit30-2026-06-13.json'),
    'application/json',
  ],
  [
    'arxiv-list',
    'arXiv /new, 50 entries with abstracts (generated)',
    'https://arxiv.org/list/cs.LG/new',
    renderArxivNewPage({ ...arxivSpec, newSubmissions: arxiv50, crossLists: [], replacements: [] }),
    'text/html',
  ],
  [
    'arxiv-list',
    'arXiv /pastweek, 397 entries (real capture, 957 KB)',
    'https://arxiv.org/list/astro-ph/pastweek',
    fixture('arxiv-list', 'arxiv-list-astro-ph-pastweek-2024-11-23.browser-saved.html'),
    'text/html',
  ],
  [
    'arxiv-rss',
    'arXiv RSS, 14 entries (fixture)',
    'https://rss.arxiv.org/rss/cs.LG',
    fixture('arxiv-rss', 'arxiv-rss-cs.LG-2026-06-12.xml'),
    'application/xml',
  ],
  [
    'arxiv-rss',
    'arXiv Atom, 14 entries (fixture)',
    'https://rss.arxiv.org/atom/cs.LG',
    fixture('arxiv-rss', 'arxiv-atom-cs.LG-2026-06-12.xml'),
    'application/xml',
  ],
  [
    'arxiv-rss',
    'arXiv RSS, 50 entries (generated)',
    'https://rss.arxiv.org/rss/cs.LG',
    arxivFeed(50),
    'application/xml',
  ],
  [
    'arxiv-rss',
    'arXiv RSS, 600 entries (generated, a busy cs.LG day)',
    'https://rss.arxiv.org/rss/cs.LG',
    arxivFeed(600),
    'application/xml',
  ],
  [
    'arxiv-rss',
    'arXiv RSS, empty weekend feed (real capture)',
    'https://rss.arxiv.org/rss/cs.CL',
    fixture('arxiv-rss', 'quiet-arxiv-rss-cs.CL-weekend-empty-2026-08-01.xml'),
    'application/xml',
  ],
  [
    'generic',
    'generic CSS: GitHub trending, 25 repos (real, 602 KB)',
    githubTrendingSource.url,
    fixture('generic', 'github-trending-2023-05-18.html'),
    'text/html',
    githubTrendingSource.options,
  ],
  [
    'generic',
    'generic JSON body: HF API, 30 entries (real capture)',
    'https://huggingface.co/api/daily_papers',
    fixture('hf-api', 'hf-api-daily_papers-limit30-2026-06-13.json'),
    'application/json',
    hfApiOptions,
  ],
  [
    'generic',
    'generic data-props: HF day page, 30 entries (fixture)',
    'https://huggingface.co/papers/date/2026-06-12',
    fixture('hf-papers', 'hf-papers-date-2026-06-12.html'),
    'text/html',
    hfPapersPageOptions,
  ],
];

for (const [adapterId, label, url, body, contentType, rawOptions] of cases) {
  const adapter = getAdapter(adapterId);
  const options = adapter.options?.parse(rawOptions);
  const once = () => adapter.extract(createPage(url, body, contentType), options);
  const count = once().entries.length;
  for (let i = 0; i < 20; i++) once();
  const runs = Math.max(20, Math.round(2e6 / body.length));
  // CPU time of this process (not wall time): steady on a machine that is busy with other work.
  const start = process.cpuUsage();
  for (let i = 0; i < runs; i++) once();
  const used = process.cpuUsage(start);
  const ms = (used.user + used.system) / 1000 / runs;
  console.log(
    `${label.padEnd(52)} ${(body.length / 1024).toFixed(0).padStart(4)} KB  ${String(count).padStart(3)} entries  ${ms.toFixed(2).padStart(6)} ms/page  ${Math.round((count / ms) * 1000)} entries/s per core`,
  );
}
