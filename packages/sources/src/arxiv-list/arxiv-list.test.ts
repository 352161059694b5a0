import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildArxivListFixtures } from '../../test/fixtures/arxiv-list/make-fixtures.js';
import { createPage } from '../page.js';
import type { ExtractResult, RawEntry } from '../types.js';
import { arxivListAdapter, sectionFromHeading } from './index.js';

const PASTWEEK = 'arxiv-list-astro-ph-pastweek-2024-11-23.browser-saved.html';
const CS_LG_NEW = 'arxiv-list-cs.LG-new-2026-06-12.html';
const LEGACY = 'arxiv-list-legacy-layout.html';

function fixture(name: string): string {
  return readFileSync(new URL(`../../test/fixtures/arxiv-list/${name}`, import.meta.url), 'utf8');
}

function run(body: string, url = 'https://arxiv.org/list/cs.LG/new'): ExtractResult {
  return arxivListAdapter.extract(createPage(url, body, 'text/html'));
}

function byId(entries: RawEntry[]): Map<string | undefined, RawEntry> {
  return new Map(entries.map((e) => [e.externalId, e]));
}

function countBy(entries: RawEntry[], key: (e: RawEntry) => string | undefined): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const e of entries) counts[key(e) ?? '(none)'] = (counts[key(e) ?? '(none)'] ?? 0) + 1;
  return counts;
}

function expectCleanTitles(entries: RawEntry[]): void {
  for (const e of entries) {
    expect(e.title, e.externalId).toBeTruthy();
    expect(e.title, e.externalId).not.toMatch(/\n|\t|\s{2}|^\s|\s$|^Title:|MathJax/);
  }
}

describe('arxiv-list: /pastweek, real browser-saved capture (astro-ph, 2024-11-23)', () => {
  const body = fixture(PASTWEEK);
  const { entries, warnings } = run(body, 'https://arxiv.org/list/astro-ph/pastweek?show=1000');

  it('finds all 397 entries, as an independent count of the raw page says', () => {
    expect((body.match(/<dt>/g) ?? []).length).toBe(397);
    expect((body.match(/title="Abstract"/g) ?? []).length).toBe(397);
    expect(entries).toHaveLength(397);
    expect(warnings).toEqual([]);
    expect(entries.map((e) => e.rank)).toEqual(Array.from({ length: 397 }, (_, i) => i + 1));
    expect(new Set(entries.map((e) => e.externalId)).size).toBe(397);
  });

  it('puts each entry in its day, matching the counts in the day headings', () => {
    const announced = [...body.matchAll(/<h3>(\w{3}, \d+ \w{3} \d{4}) \(showing (\d+) of \d+ entries \)<\/h3>/g)].map(
      (m) => [m[1], Number(m[2])] as const,
    );
    expect(announced).toHaveLength(5);
    expect(countBy(entries, (e) => e.section)).toEqual(Object.fromEntries(announced));
    expect(countBy(entries, (e) => e.section)).toEqual({
      'Fri, 22 Nov 2024': 75,
      'Thu, 21 Nov 2024': 67,
      'Wed, 20 Nov 2024': 94,
      'Tue, 19 Nov 2024': 101,
      'Mon, 18 Nov 2024': 60,
    });
  });

  it('reads the first and last entries', () => {
    expect(entries[0]).toEqual({
      rank: 1,
      externalId: '2411.14419',
      arxivId: '2411.14419',
      url: 'https://arxiv.org/abs/2411.14419',
      section: 'Fri, 22 Nov 2024',
      title:
        'Combining summary statistics with simulation-based inference for the 21 cm signal from the Epoch of Reionization',
      authors: ['Benoit Semelin', 'Romain Mériot', 'Ashutosh Mishra', 'David Cornu'],
      categories: ['astro-ph.CO'],
      primaryCategory: 'astro-ph.CO',
      version: 1,
      arxivComments: '11 pages, submitted to A&A',
    });
    expect(entries[396]).toEqual({
      rank: 397,
      externalId: '2411.09747',
      arxivId: '2411.09747',
      url: 'https://arxiv.org/abs/2411.09747',
      section: 'Mon, 18 Nov 2024',
      title: 'Thermo-Coupled Early Dark Energy',
      authors: ['Marc Kamionkowski', 'Anubhav Mathur'],
      categories: ['hep-ph', 'astro-ph.CO'],
      primaryCategory: 'hep-ph',
      version: 1,
      arxivComments: '6 pages, 3 figures',
    });
  });

  it('reads comments, journal references, the primary category and the version from the HTML link', () => {
    expect(byId(entries).get('2411.14225')).toMatchObject({
      journalRef: 'Astrophysical Journal, 976, 181 (2024)',
      primaryCategory: 'astro-ph.EP',
    });
    expect(byId(entries).get('2411.13991')?.journalRef).toBe('A&A, 691, A302 (2024)');
    expect(entries.filter((e) => e.journalRef !== undefined)).toHaveLength(32);
    expect(entries.filter((e) => e.arxivComments !== undefined)).toHaveLength(356);
    expect(entries.every((e) => e.primaryCategory === e.categories?.[0])).toBe(true);
    // Entries without an HTML rendering carry no versioned link: no version, rather than a guess.
    expect(countBy(entries, (e) => String(e.version))).toEqual({ '1': 355, '2': 12, undefined: 30 });
  });

  it('folds a title broken over several lines and reads cross-listed subjects, primary first', () => {
    expect(byId(entries).get('2411.14399')).toMatchObject({
      rank: 59,
      title:
        'DiscoTEX 1.0: Discontinuous collocation and implicit-turned-explicit (IMTEX) integration symplectic, symmetric numerical algorithms with high order jumps for differential equations II: extension to higher-orders of numerical convergence',
      authors: ['Lidia J. Gomes Da Silva'],
      categories: ['math.NA', 'astro-ph.IM', 'gr-qc', 'math-ph'],
    });
  });

  it('gives back the TeX source of formulas that the browser rendered with MathJax', () => {
    const titles = byId(entries);
    expect(titles.get('2411.14273')?.title).toBe(
      'Examining the evolution of the Supersoft X-ray Source RX J$0513.9-6951$',
    );
    const tex = entries.filter((e) => e.title?.includes('$'));
    expect(tex).toHaveLength(
      (body.match(/<div class="list-title mathjax">(?:(?!<\/div>)[\s\S])*?math\/tex/g) ?? []).length,
    );
    expect(tex.map((e) => e.title)).toContain(
      'Reevaluating $H_0$ Tension with Non-Planck CMB and DESI BAO Joint Analysis',
    );
  });

  it('decodes entities in titles', () => {
    const titles = entries.map((e) => e.title);
    expect(titles).toContain('Disc asymmetry characterisation in JWST-observed galaxies at 1 < z < 4');
    expect(titles).toContain(
      'Database Design for SpExoDisks: A Database & Web Portal for Spectra of Exoplanet-Forming Disks',
    );
  });

  it('gives every entry a clean title, authors, categories and its abs URL, and no abstract (none on /pastweek)', () => {
    expectCleanTitles(entries);
    for (const e of entries) {
      expect(e.url).toBe(`https://arxiv.org/abs/${e.arxivId}`);
      expect(e.authors?.length, e.externalId).toBeGreaterThan(0);
      expect(e.categories?.length, e.externalId).toBeGreaterThan(0);
      expect(e.abstract).toBeUndefined();
    }
  });
});

describe('arxiv-list: /new, 2024 server layout (cs.LG)', () => {
  const body = fixture(CS_LG_NEW);
  const { entries, warnings } = run(body);

  it('is in the server layout: single-quoted attributes, one dl#articles per section', () => {
    expect(body.match(/<dl id='articles'>/g)).toHaveLength(3);
    expect(body).toContain(`<a href ="/abs/2606.13568"`);
  });

  it('reads the three sections in page order', () => {
    expect(warnings).toEqual([]);
    expect(entries.map((e) => `${e.rank} ${e.section} ${e.externalId}`)).toEqual([
      '1 new 2606.13568',
      '2 new 2606.13106',
      '3 new 2606.13392',
      '4 new 2606.13681',
      '5 cross-list 2606.13677',
      '6 cross-list 2606.13591',
      '7 cross-list 2606.13515',
      '8 cross-list 2606.13501',
      '9 cross-list 2606.13289',
      '10 cross-list 2606.13594',
      '11 replacement 2606.12243',
      '12 replacement 2606.08063',
      '13 replacement 2606.06113',
      '14 replacement 2606.10896',
    ]);
  });

  it('reads a new submission with its abstract', () => {
    expect(entries[0]).toEqual({
      rank: 1,
      externalId: '2606.13568',
      arxivId: '2606.13568',
      url: 'https://arxiv.org/abs/2606.13568',
      section: 'new',
      title: 'Adjusted Cup-Product Neural Layer',
      authors: ['Snigdha Chandan Khilar'],
      abstract: expect.stringMatching(
        /^Many important observables in physics and geometry are cup products of cochains\. .* two gauge transformations\.$/,
      ),
      categories: ['cs.LG', 'math-ph'],
      primaryCategory: 'cs.LG',
      version: 1,
    });
  });

  it('reads a cross-list with its primary subject first', () => {
    expect(byId(entries).get('2606.13677')).toMatchObject({
      section: 'cross-list',
      title: 'Mana: Dexterous Manipulation of Articulated Tools',
      authors: ['Zhao-Heng Yin', 'Guanya Shi', 'Pieter Abbeel', 'C. Karen Liu'],
      categories: ['cs.RO', 'cs.AI', 'cs.CV', 'cs.LG'],
      abstract: expect.stringContaining('(<1 minute per tool)'),
    });
  });

  it('keeps escaped markup in abstracts as text', () => {
    expect(byId(entries).get('2606.13106')?.abstract).toContain(
      'The model emits <swi> to enter latent mode and </swi> to exit.',
    );
  });

  it('has abstracts for new and cross-list entries only', () => {
    for (const e of entries) expect(e.abstract !== undefined, e.externalId).toBe(e.section !== 'replacement');
    expectCleanTitles(entries);
  });
});

describe('arxiv-list: legacy layout', () => {
  const { entries, warnings } = run(fixture(LEGACY), 'https://arxiv.org/list/hep-th/new');

  it('reads old-style ids from span.list-identifier, with sections from the legacy headings', () => {
    expect(warnings).toEqual([]);
    expect(entries.map((e) => [e.rank, e.section, e.arxivId, e.url])).toEqual([
      [1, 'new', 'hep-th/9802150', 'https://arxiv.org/abs/hep-th/9802150'],
      [2, 'new', 'hep-th/9802109', 'https://arxiv.org/abs/hep-th/9802109'],
      [3, 'new', '2605.08083', 'https://arxiv.org/abs/2605.08083'],
      [4, 'cross-list', 'hep-ph/9905221', 'https://arxiv.org/abs/hep-ph/9905221'],
      [5, 'replacement', 'hep-th/9711200', 'https://arxiv.org/abs/hep-th/9711200'],
      [6, 'replacement', 'hep-th/9908142', 'https://arxiv.org/abs/hep-th/9908142'],
    ]);
  });

  it('drops the "Title:" and "Authors:" descriptors', () => {
    expect(byId(entries).get('hep-th/9802109')).toEqual({
      rank: 2,
      externalId: 'hep-th/9802109',
      arxivId: 'hep-th/9802109',
      url: 'https://arxiv.org/abs/hep-th/9802109',
      section: 'new',
      title: 'Gauge Theory Correlators from Non-Critical String Theory',
      authors: ['S.S. Gubser', 'I.R. Klebanov', 'A.M. Polyakov'],
      categories: ['hep-th'],
      primaryCategory: 'hep-th',
    });
    expect(byId(entries).get('hep-ph/9905221')?.categories).toEqual(['hep-ph', 'hep-th']);
    expect(byId(entries).get('2605.08083')?.abstract).toMatch(/^Test-time scaling \(TTS\) has become/);
    expectCleanTitles(entries);
  });
});

describe('arxiv-list: small pages', () => {
  const entry = (dt: string, title: string, extra = '') =>
    `<dt>${dt}</dt><dd><div class='meta'><div class='list-title mathjax'><span class='descriptor'>Title:</span>\n   ${title}\n</div>${extra}</div></dd>`;

  it('keeps TeX and escaped <script> in titles as text', () => {
    const { entries } = run(
      `<dl id='articles'><h3>New submissions (showing 2 of 2 entries)</h3>` +
        entry(
          `<a href ="/abs/2411.00001" title="Abstract">arXiv:2411.00001</a>`,
          'Bounds on $\\alpha$-mixing for $O(n^{1/2})$ &amp; more',
        ) +
        entry(
          `<a href ="/abs/2411.00002" title="Abstract">arXiv:2411.00002</a>`,
          '&lt;script&gt;alert(1)&lt;/script&gt; Is Not   a Title',
        ) +
        `</dl>`,
    );
    expect(entries.map((e) => e.title)).toEqual([
      'Bounds on $\\alpha$-mixing for $O(n^{1/2})$ & more',
      '<script>alert(1)</script> Is Not a Title',
    ]);
  });

  it('keeps versions, reads the id from the text when there is no abs link, and skips repeats', () => {
    const { entries, warnings } = run(
      `<dl>` +
        entry(`<a href="https://arxiv.org/abs/2411.01234v2">arXiv:2411.01234v2</a> (replaced)`, 'Versioned') +
        entry(`<span class="list-identifier">arXiv:1501.0001</span>`, 'Four-digit id, no link') +
        entry(`<a href="/abs/2411.01234v2">arXiv:2411.01234v2</a>`, 'Repeat') +
        `</dl>`,
    );
    expect(entries.map((e) => [e.rank, e.arxivId, e.url, e.section, e.title])).toEqual([
      [1, '2411.01234v2', 'https://arxiv.org/abs/2411.01234v2', 'replacement', 'Versioned'],
      [2, '1501.0001', 'https://arxiv.org/abs/1501.0001', undefined, 'Four-digit id, no link'],
    ]);
    expect(warnings).toEqual(['arxiv-list: 1 repeated entries were skipped']);
  });

  it('skips dt elements that are not entries', () => {
    const { entries, warnings } = run(
      `<dl><dt>Glossary</dt><dd>words</dd><dt><a href="/abs/not-an-id">arXiv: soon</a></dt><dd></dd></dl>` +
        `<dl>${entry('<a href="/abs/2411.00003">arXiv:2411.00003</a>', 'Real')}</dl>`,
    );
    expect(entries.map((e) => e.arxivId)).toEqual(['2411.00003']);
    expect(warnings).toEqual(['arxiv-list: 1 entries without a readable arXiv id were skipped']);
  });

  it('gives zero entries and a warning for a page without a listing', () => {
    const { entries, warnings } = run(
      `<div id='dlpage'><h3>Showing new listings for Saturday, 1 August 2026</h3><p>No updates today.</p></div>`,
    );
    expect(entries).toEqual([]);
    expect(warnings).toEqual(['arxiv-list: no entries found (no <dt> with an arXiv abs link or id)']);
  });

  it('does not throw on garbage', () => {
    for (const body of ['', '<dt>', '<dt><a href="http://[::1/abs/1">x</a></dt>', '<dd><dt>arXiv:%%%</dt>']) {
      expect(() => run(body)).not.toThrow();
    }
  });
});

describe('sectionFromHeading', () => {
  it.each([
    ['New submissions (showing 144 of 144 entries)', 'new'],
    ['Cross submissions (showing 55 of 55 entries)', 'cross-list'],
    ['Replacement submissions (showing 98 of 98 entries)', 'replacement'],
    ['New submissions for Fri, 15 Sep 23', 'new'],
    ['Cross-lists for Fri, 15 Sep 23', 'cross-list'],
    ['Replacements for Fri, 15 Sep 23', 'replacement'],
    ['Fri, 22 Nov 2024 (showing 75 of 75 entries )', 'Fri, 22 Nov 2024'],
    ['Fri, 22 Sep 2023 (showing first 25 of 137 entries)', 'Fri, 22 Sep 2023'],
    ['Showing new listings for Friday, 22 November 2024', undefined],
  ])('%s -> %s', (heading, section) => {
    expect(sectionFromHeading(heading)).toBe(section);
  });
});

it('the generated fixtures are what make-fixtures.ts writes', () => {
  for (const [name, content] of Object.entries(buildArxivListFixtures())) expect(fixture(name), name).toBe(content);
});
