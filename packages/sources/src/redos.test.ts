/**
 * One megabyte of hostile text in a field, shaped to make the old patterns backtrack: each case
 * took minutes on the old code (quadratic), and the worker's job lock lapsed meanwhile. Now every
 * function caps its input and runs linear patterns, so each case is milliseconds; the timeouts
 * below are generous on purpose (no wall-clock thresholds).
 */
import { describe, expect, it } from 'vitest';
import { arxivIdFromAbsUrl } from './arxiv-id.js';
import { arxivListAdapter, sectionFromHeading } from './arxiv-list/index.js';
import { extractArxivFeed, splitAuthors } from './arxiv-rss/index.js';
import { genericAdapter } from './generic/index.js';
import { createPage } from './page.js';
import { TEXT_LIMITS, toInt } from './text.js';

const MB = 1 << 20;
const SLOW = 60_000;

/** `unit` repeated to about one megabyte. */
function mb(unit: string): string {
  return unit.repeat(Math.ceil(MB / unit.length));
}

describe('sectionFromHeading on a hostile heading', () => {
  it('returns at once for "(first" repeated over 1 MB (no closing parenthesis)', { timeout: SLOW }, () => {
    const section = sectionFromHeading(mb('(first'));
    expect(section).toBeDefined();
    expect(section!.length).toBeLessThanOrEqual(TEXT_LIMITS.heading);
  });

  it('still strips the "(showing …)" suffix of a real heading after a long one', { timeout: SLOW }, () => {
    expect(sectionFromHeading(`${mb(' ')}Fri, 22 Nov 2024 (showing 75 of 75 entries)`)).toBe('Fri, 22 Nov 2024');
  });
});

describe('arxivIdFromAbsUrl on a hostile href', () => {
  it('returns at once for "/abs/" repeated over 1 MB and an encoded line break', { timeout: SLOW }, () => {
    expect(arxivIdFromAbsUrl(`https://arxiv.org${mb('/abs/')}%0A`)).toBeUndefined();
  });

  it('keeps reading the ids of real links', () => {
    expect(arxivIdFromAbsUrl('/abs/2411.01234v2')).toBe('2411.01234v2');
    expect(arxivIdFromAbsUrl('https://arxiv.org/abs/hep-th/9901001/')).toBe('hep-th/9901001');
    expect(arxivIdFromAbsUrl('/abs/%0A/abs/2411.01234')).toBe('2411.01234');
  });
});

describe('splitAuthors on a hostile creator list', () => {
  it('returns at once for tabs and commas over 1 MB', { timeout: SLOW }, () => {
    const names = splitAuthors(`${mb('\t')}n,${'\t,'.repeat(1000)}Ada Lovelace and Alan Turing`);
    expect(names).toEqual(['n', 'Ada Lovelace', 'Alan Turing']);
  });
});

describe('toInt on a hostile count', () => {
  it('gives no count (not Infinity) for a megabyte of digits', { timeout: SLOW }, () => {
    expect(toInt(mb('9'))).toBeUndefined();
    expect(toInt(1e308)).toBe(Number.MAX_SAFE_INTEGER); // a huge finite count is clamped, like 1e20 or '1e20'
    expect(toInt(1e20)).toBe(Number.MAX_SAFE_INTEGER);
    expect(toInt(`${mb(' ')}1,234 votes`)).toBeUndefined(); // beyond the first TEXT_LIMITS.count characters
    expect(toInt('1,234 votes')).toBe(1234);
  });
});

describe('adapters on pages with hostile fields', () => {
  it('arxiv-list reads a page whose heading is 1 MB of "(first"', { timeout: SLOW }, () => {
    const body = `<h3>${mb('(first')}</h3><dl><dt><a href="/abs/2411.01234">arXiv:2411.01234</a></dt><dd><div class="list-title">T</div></dd></dl>`;
    const { entries } = arxivListAdapter.extract(createPage('https://arxiv.org/list/cs.LG/new', body, 'text/html'));
    expect(entries.map((e) => e.externalId)).toEqual(['2411.01234']);
    expect(entries[0]!.section!.length).toBeLessThanOrEqual(TEXT_LIMITS.heading);
  });

  it('arxiv-list reads a page whose abs link is 1 MB of "/abs/"', { timeout: SLOW }, () => {
    const body = `<dl><dt><a href="${mb('/abs/')}%0A">x</a> arXiv:2411.01234</dt><dd></dd></dl>`;
    const { entries } = arxivListAdapter.extract(createPage('https://arxiv.org/list/cs.LG/new', body, 'text/html'));
    expect(entries.map((e) => e.externalId)).toEqual(['2411.01234']);
  });

  it('arxiv-rss reads a feed whose creator is 1 MB of tabs', { timeout: SLOW }, () => {
    const xml = `<rss><channel><item><guid>oai:arXiv.org:2411.01234v1</guid><title>T</title><dc:creator>${mb('\t')}n,</dc:creator></item></channel></rss>`;
    const { entries } = extractArxivFeed(xml, 'https://rss.arxiv.org/rss/cs.LG');
    expect(entries[0]?.authors).toEqual(['n']);
  });

  it('generic applies an operator pattern to at most TEXT_LIMITS.patternInput characters of an item', {
    timeout: SLOW,
  }, () => {
    // This pattern is quadratic on a long run of digits; GitHub trending's example uses its like.
    const options = genericAdapter.options!.parse({
      item: 'li',
      fields: { title: 'b', upvotes: { selector: '', pattern: '(\\d[\\d,]*) stars? today' } },
    });
    const body = `<ul><li><b>A</b> 12 stars today</li><li><b>B</b> ${mb('0')}</li></ul>`;
    const { entries } = genericAdapter.extract(createPage('https://example.org/', body, 'text/html'), options);
    expect(entries.map((e) => [e.title, e.upvotes])).toEqual([
      ['A', 12],
      ['B', undefined],
    ]);
  });
});
