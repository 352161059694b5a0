/**
 * Counterexamples the property tests (extract.property.test.ts) found, kept as plain tests.
 */
import { Element, Text } from 'domhandler';
import { describe, expect, it } from 'vitest';
import { arxivListAdapter } from './arxiv-list/index.js';
import { extractArxivFeed } from './arxiv-rss/index.js';
import { elementText } from './dom-text.js';
import { genericAdapter } from './generic/index.js';
import { hfApiAdapter } from './hf-api/index.js';
import { createPage, MAX_NESTING_DEPTH, PageTooComplexError } from './page.js';

describe('found by the property tests', () => {
  it('hf-api: a paper id with a lone surrogate gives an entry without a link (encodeURIComponent threw URIError)', () => {
    const body = JSON.stringify([{ paper: { id: '\ud800' } }, { paper: { id: '2606.13681', title: 'T' } }]);
    const { entries } = hfApiAdapter.extract(
      createPage('https://huggingface.co/api/daily_papers', body, 'application/json'),
    );
    expect(entries.map((e) => [e.externalId, e.url])).toEqual([
      ['\ud800', undefined],
      ['2606.13681', 'https://huggingface.co/papers/2606.13681'],
    ]);
  });

  it('elementText reads an element nested 100,000 deep (the recursive walk overflowed the stack)', () => {
    let node: Element | Text = new Text('deep');
    for (let i = 0; i < 100_000; i++) node = new Element(i % 2 ? 'b' : 'i', {}, [node]);
    expect(elementText(node)).toBe('deep');
  });

  it(`arxiv-list: a page nested beyond ${MAX_NESTING_DEPTH} deep is refused with PageTooComplexError, not parsed for minutes`, {
    timeout: 60_000,
  }, () => {
    const body = `<dl><dt>${'<b><i>'.repeat(150_000)}arXiv:2411.01234</dt></dl>`;
    expect(() => arxivListAdapter.extract(createPage('https://arxiv.org/list/cs.LG/new', body, 'text/html'))).toThrow(
      PageTooComplexError,
    );
  });

  it('arxiv-list: a page nested just within the limit is read', () => {
    const body = `<dl><dt>${'<b>'.repeat(MAX_NESTING_DEPTH - 10)}<a href="/abs/2411.01234">arXiv:2411.01234</a></dt></dl>`;
    const { entries } = arxivListAdapter.extract(createPage('https://arxiv.org/list/cs.LG/new', body, 'text/html'));
    expect(entries.map((e) => e.externalId)).toEqual(['2411.01234']);
  });

  it('generic: a page nested beyond the limit gives zero entries and a warning that says why (generic never throws)', {
    timeout: 60_000,
  }, () => {
    const options = genericAdapter.options!.parse({ item: 'li', fields: { title: 'b' } });
    const body = `<ul><li><b>A</b></li></ul>${'<i>'.repeat(MAX_NESTING_DEPTH + 1)}`;
    const { entries, warnings } = genericAdapter.extract(
      createPage('https://example.org/', body, 'text/html'),
      options,
    );
    expect(entries).toEqual([]);
    expect(warnings).toEqual([expect.stringMatching(/^generic: page not read: elements nest more than 1000 deep/)]);
  });

  it('arxiv-rss: a feed nested beyond the limit is refused with PageTooComplexError', { timeout: 60_000 }, () => {
    const xml = `<rss><channel><item><title>${'<x>'.repeat(150_000)}</title></item></channel></rss>`;
    expect(() => extractArxivFeed(xml, 'https://rss.arxiv.org/rss/cs.LG')).toThrow(PageTooComplexError);
  });
});
