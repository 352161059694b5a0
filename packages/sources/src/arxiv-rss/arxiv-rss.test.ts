import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildArxivRssFixtures } from '../../test/fixtures/arxiv-rss/make-fixtures.js';
import { withoutVersion } from '../arxiv-id.js';
import { arxivListAdapter } from '../arxiv-list/index.js';
import { createPage } from '../page.js';
import type { ExtractResult } from '../types.js';
import { arxivRssAdapter, extractArxivFeed, splitAuthors, splitDescription } from './index.js';

const FEED_URL = 'https://rss.arxiv.org/rss/cs.LG';

function fixture(name: string): string {
  return readFileSync(new URL(`../../test/fixtures/arxiv-rss/${name}`, import.meta.url), 'utf8');
}

function run(body: string, url = FEED_URL): ExtractResult {
  return arxivRssAdapter.extract(createPage(url, body, 'application/xml'));
}

/** A minimal RSS 2.0 feed around the given items. */
function rss(
  items: string,
  namespaces = 'xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns:dc="http://purl.org/dc/elements/1.1/"',
): string {
  return `<?xml version='1.0' encoding='UTF-8'?>\n<rss ${namespaces} version="2.0"><channel><title>cs.LG updates on arXiv.org</title>${items}</channel></rss>`;
}

describe('arxiv-rss on the cs.LG feed of 12 June 2026 (generated from real papers)', () => {
  const { entries, warnings } = run(fixture('arxiv-rss-cs.LG-2026-06-12.xml'));

  it('reads all 14 items in feed order, no warnings', () => {
    expect(warnings).toEqual([]);
    expect(entries.map((e) => e.rank)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]);
    expect(entries.map((e) => e.section)).toEqual([
      ...Array(4).fill('new'),
      ...Array(6).fill('cross'),
      'replace',
      'replace-cross',
      'replace-cross',
      'replace',
    ]);
  });

  it('maps an item fully: versioned id from the guid, TeX and "&" in the title, abstract after "Abstract:"', () => {
    expect(entries[0]).toEqual({
      rank: 1,
      externalId: '2606.13568v1',
      arxivId: '2606.13568v1',
      title: 'Adjusted Cup-Product Neural Layer: $H^1 \\smile H^1$ Readouts & Gauge Invariance',
      abstract: expect.stringMatching(
        /^Many important observables in physics and geometry are cup products of cochains\. .* one and two gauge transformations\.$/,
      ),
      authors: ['Snigdha Chandan Khilar'],
      url: 'https://arxiv.org/abs/2606.13568',
      section: 'new',
      categories: ['cs.LG', 'math-ph'],
      publishedAt: '2026-06-12T04:00:00.000Z',
      version: 1,
      license: 'http://creativecommons.org/licenses/by/4.0/',
    });
  });

  it('keeps TeX in abstracts and folds their line breaks', () => {
    const gfDit = entries.find((e) => e.arxivId === '2606.13501v1');
    expect(gfDit?.abstract).toContain('improves throughput by up to 6.01$\\times$, reduces mean latency');
    expect(gfDit?.abstract).toContain('service quality. This paper argues');
  });

  it('splits a dc:creator written with "and"', () => {
    expect(entries.find((e) => e.arxivId === '2606.13591v1')?.authors).toEqual(['Ali Elahi', 'Barbara Di Eugenio']);
  });

  it('reads an item without a guid by the id in its description, URL from its link', () => {
    expect(fixture('arxiv-rss-cs.LG-2026-06-12.xml')).not.toContain('oai:arXiv.org:2606.13515');
    expect(entries.find((e) => e.externalId === '2606.13515v1')).toMatchObject({
      url: 'https://arxiv.org/abs/2606.13515',
      section: 'cross',
      title: 'MaskWAM: Unifying Mask Prompting and Prediction for World-Action Models',
    });
  });

  it('agrees with the arxiv-list page of the same day on ids, titles, authors and abstracts', () => {
    const listing = arxivListAdapter.extract(
      createPage(
        'https://arxiv.org/list/cs.LG/new',
        fixture('../arxiv-list/arxiv-list-cs.LG-new-2026-06-12.html'),
        'text/html',
      ),
    ).entries;
    expect(entries.map((e) => withoutVersion(e.arxivId ?? ''))).toEqual(listing.map((e) => e.arxivId));
    listing.forEach((fromPage, i) => {
      const fromFeed = entries[i];
      if (fromPage.arxivId !== '2606.13568') expect(fromFeed?.title).toBe(fromPage.title); // title edited in the feed
      expect(fromFeed?.authors).toEqual(fromPage.authors);
      if (fromPage.abstract) expect(fromFeed?.abstract).toBe(fromPage.abstract);
      expect(fromFeed?.categories).toEqual(fromPage.categories);
    });
  });

  it('reads the Atom variant of the same feed to the same entries', () => {
    const atom = run(fixture('arxiv-atom-cs.LG-2026-06-12.xml'), 'https://rss.arxiv.org/atom/cs.LG');
    expect(atom).toEqual({ entries, warnings: [] });
  });
});

describe('arxiv-rss on empty and foreign documents', () => {
  it('an empty weekend feed (real capture, with skipDays) is quiet: no entries, no warning, quiet: true', () => {
    const body = fixture('quiet-arxiv-rss-cs.CL-weekend-empty-2026-08-01.xml');
    expect(body).toContain('<skipDays>');
    expect(run(body, 'https://rss.arxiv.org/rss/cs.CL')).toEqual({ entries: [], warnings: [], quiet: true });
  });

  it('an empty Atom feed is quiet too', () => {
    expect(run('<feed xmlns="http://www.w3.org/2005/Atom"><id>http://rss.arxiv.org/atom/cs.LG</id></feed>')).toEqual({
      entries: [],
      warnings: [],
      quiet: true,
    });
  });

  it('a feed whose items all lack an id is not quiet', () => {
    const result = run(rss('<item><title>T</title></item>'));
    expect(result.entries).toEqual([]);
    expect(result.quiet).toBeUndefined();
    expect(result.warnings).toHaveLength(1);
  });

  it.each([
    ['an HTML page', fixture('empty-arxiv-rss-not-a-feed.xml'), 'its root element is <html>'],
    [
      'an OAI-PMH error',
      '<?xml version="1.0"?><OAI-PMH><error code="badArgument">x</error></OAI-PMH>',
      'its root element is <OAI-PMH>',
    ],
    ['JSON', '{"items": []}', 'it has no root element'],
    ['an empty body', '', 'it has no root element'],
  ])('%s is no feed: no entries, a warning', (_what, body, why) => {
    expect(run(body)).toEqual({ entries: [], warnings: [`arxiv-rss: not an RSS or Atom feed (${why})`] });
  });
});

describe('arxiv-rss item details', () => {
  it('takes the id from the link when there is neither guid nor "arXiv:<id>" in the description', () => {
    const { entries, warnings } = run(
      rss(
        '<item><title>T</title><link>https://arxiv.org/abs/hep-th/9901001</link><description>Abstract: A.</description></item>',
      ),
    );
    expect(warnings).toEqual([]);
    expect(entries).toEqual([
      {
        rank: 1,
        externalId: 'hep-th/9901001',
        arxivId: 'hep-th/9901001',
        title: 'T',
        abstract: 'A.',
        url: 'https://arxiv.org/abs/hep-th/9901001',
      },
    ]);
  });

  it('builds the abs URL when the link is missing', () => {
    const [entry] = run(rss('<item><title>T</title><guid>oai:arXiv.org:2606.00001v3</guid></item>')).entries;
    expect(entry).toMatchObject({ externalId: '2606.00001v3', url: 'https://arxiv.org/abs/2606.00001' });
  });

  it('skips items without any arXiv id, and repeats, with warnings', () => {
    const item = (guid: string) => `<item><title>T ${guid}</title><guid>${guid}</guid></item>`;
    const { entries, warnings } = run(
      rss(
        item('oai:arXiv.org:2606.00001v1') +
          item('tag:example.org,2026:1') +
          item('oai:arXiv.org:2606.00001v1') +
          item('oai:arXiv.org:2606.00002v1'),
      ),
    );
    expect(entries.map((e) => [e.rank, e.externalId])).toEqual([
      [1, '2606.00001v1'],
      [2, '2606.00002v1'],
    ]);
    expect(warnings).toEqual([
      'arxiv-rss: 1 items without a readable arXiv id (guid, link or description) were skipped',
      'arxiv-rss: 1 repeated items were skipped',
    ]);
  });

  it('decodes a double-encoded "&amp;amp;" and reads CDATA', () => {
    const [entry] = run(
      rss(
        '<item><title>Q&amp;amp;A   over\n  tables</title><guid>oai:arXiv.org:2606.00001v1</guid><description><![CDATA[arXiv:2606.00001v1 Announce Type: new\nAbstract: Uses <b> & $a<b$.]]></description></item>',
      ),
    ).entries;
    expect(entry).toMatchObject({ title: 'Q&A over tables', abstract: 'Uses <b> & $a<b$.', section: 'new' });
  });

  it('matches elements by local name, whatever the namespace prefix', () => {
    const body = rss(
      '<item><title>T</title><guid>oai:arXiv.org:2606.00001v1</guid><paper:announce_type>replace-cross</paper:announce_type><dcterms:creator>A. One and B. Two</dcterms:creator></item>',
      'xmlns:paper="http://arxiv.org/schemas/atom" xmlns:dcterms="http://purl.org/dc/elements/1.1/"',
    );
    expect(run(body).entries[0]).toMatchObject({ section: 'replace-cross', authors: ['A. One', 'B. Two'] });
  });

  it('falls back to the announce type in the description', () => {
    const [entry] = run(
      rss(
        '<item><title>T</title><description>arXiv:2606.00001v2 Announce Type: Replace Abstract: x</description></item>',
      ),
    ).entries;
    expect(entry).toMatchObject({ externalId: '2606.00001v2', section: 'replace', abstract: 'x' });
  });

  it('reads RSS 1.0 (RDF) items beside the channel', () => {
    const body = `<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"><channel/><item><title>T</title><link>http://arxiv.org/abs/2401.00001</link></item></rdf:RDF>`;
    expect(run(body).entries).toEqual([
      { rank: 1, externalId: '2401.00001', arxivId: '2401.00001', title: 'T', url: 'http://arxiv.org/abs/2401.00001' },
    ]);
  });

  it('reads Atom authors given as <author><name>', () => {
    const body = `<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>oai:arXiv.org:2606.00001v1</id><title>T</title><author><name>A. One</name></author><author><name>B. Two</name></author><updated>2026-06-12T00:00:00-04:00</updated></entry></feed>`;
    expect(run(body).entries[0]).toMatchObject({
      authors: ['A. One', 'B. Two'],
      publishedAt: '2026-06-12T04:00:00.000Z',
    });
  });
});

describe('splitAuthors', () => {
  it.each([
    ['Xiangyang Ju, Daniel Murnane', ['Xiangyang Ju', 'Daniel Murnane']],
    ['A. One, B. Two and C. Three', ['A. One', 'B. Two', 'C. Three']],
    ['A. One, B. Two, and C. Three', ['A. One', 'B. Two', 'C. Three']],
    ['Rand Anderson, Sandy Andrews', ['Rand Anderson', 'Sandy Andrews']],
    ['John Smith, Jr., Jane Doe', ['John Smith Jr.', 'Jane Doe']],
    ['The ATLAS Collaboration', ['The ATLAS Collaboration']],
    ['  Ada  Lovelace ,\n Alan Turing ', ['Ada Lovelace', 'Alan Turing']],
    ['', []],
  ])('%j', (value, names) => {
    expect(splitAuthors(value)).toEqual(names);
  });
});

describe('splitDescription', () => {
  it.each([
    ['arXiv:2606.13568v1 Announce Type: new \nAbstract: We show.', { announceType: 'new', abstract: 'We show.' }],
    [
      'arXiv:2502.01375v2 Announce Type: replace-cross  Abstract: Rules.',
      { announceType: 'replace-cross', abstract: 'Rules.' },
    ],
    ['Abstract: Only an abstract.', { abstract: 'Only an abstract.' }],
    ['No label at all.', { abstract: 'No label at all.' }],
    ['arXiv:2606.13568v1 Announce Type: new', { announceType: 'new' }],
  ])('%j', (description, parts) => {
    expect(splitDescription(description)).toEqual(parts);
  });
});

it('extractArxivFeed is the adapter without the Page', () => {
  const body = fixture('arxiv-rss-cs.LG-2026-06-12.xml');
  expect(extractArxivFeed(body, FEED_URL)).toEqual(run(body));
});

it('the generated fixtures are what make-fixtures.ts writes', () => {
  for (const [name, content] of Object.entries(buildArxivRssFixtures())) expect(fixture(name), name).toBe(content);
});

describe('arxiv-rss on arXiv query API responses (Atom)', () => {
  const seed = (name: string) =>
    readFileSync(new URL(`../../test/fixtures/arxiv-rss/seeds/${name}`, import.meta.url), 'utf8');
  const api = (body: string) =>
    arxivRssAdapter.extract(createPage('https://export.arxiv.org/api/query?id_list=x', body, 'application/xml'));

  it('reads the primary category first, cross-lists after it, the version and the comments (real capture)', () => {
    const { entries, warnings } = api(seed('arxiv-api-query-transformer-cs.LG-2026-06-14.atom.xml'));
    expect(warnings).toEqual([]);
    expect(entries[0]).toMatchObject({
      arxivId: '2606.13677v1',
      version: 1,
      primaryCategory: 'cs.RO',
      categories: ['cs.RO', 'cs.AI', 'cs.CV', 'cs.LG'],
      arxivComments: 'Project Page: https://zhaohengyin.github.io/mana',
    });
    expect(entries.map((e) => e.primaryCategory)).toEqual(['cs.RO', 'cs.AI', 'cs.LG', 'cs.CV', 'cs.DC']);
    const cl = api(seed('arxiv-api-query-cat-cs.CL-2026-05-11.atom.xml')).entries;
    expect(cl[0]).toMatchObject({ arxivId: '2605.08083v1', primaryCategory: 'cs.CL', arxivComments: '25 pages' });
  });

  it('reads a replaced version, the journal reference and the DOI (an entry in the same shape)', () => {
    const body = `<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom" xmlns:arxiv="http://arxiv.org/schemas/atom">
  <entry>
    <id>http://arxiv.org/abs/2411.01234v3</id>
    <title>A Replaced Paper</title>
    <published>2024-11-02T10:00:00Z</published>
    <updated>2024-12-01T10:00:00Z</updated>
    <category term="cs.CL" scheme="http://arxiv.org/schemas/atom"/>
    <category term="cs.LG" scheme="http://arxiv.org/schemas/atom"/>
    <arxiv:primary_category term="cs.LG"/>
    <arxiv:comment>12 pages, 4 figures; accepted at ICLR 2025</arxiv:comment>
    <arxiv:journal_ref>Proc. ICLR 2025,   pp. 1-12</arxiv:journal_ref>
    <arxiv:doi>10.1000/xyz.2024.123.</arxiv:doi>
    <author><name>Wei Wang</name></author>
    <author><name>Wei Wang</name></author>
  </entry>
</feed>`;
    expect(api(body).entries[0]).toMatchObject({
      arxivId: '2411.01234v3',
      version: 3,
      primaryCategory: 'cs.LG',
      categories: ['cs.LG', 'cs.CL'],
      arxivComments: '12 pages, 4 figures; accepted at ICLR 2025',
      journalRef: 'Proc. ICLR 2025, pp. 1-12',
      doi: '10.1000/xyz.2024.123',
      authors: ['Wei Wang', 'Wei Wang'],
    });
  });
});
