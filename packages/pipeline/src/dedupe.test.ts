import { describe, expect, it } from 'vitest';
import { collapseBatch, dedupeLockKeys, isNearDuplicate, type Lookups, resolveEntry } from './dedupe.js';
import { type NormalizedEntry, normalizeEntry } from './entry.js';

const entry = (raw: Parameters<typeof normalizeEntry>[0]): NormalizedEntry => {
  const result = normalizeEntry(raw);
  if (!result.ok) throw new Error(result.reason);
  return result.entry;
};

const empty: Lookups = { byArxivId: new Map(), byAlias: new Map(), byTitleKey: new Map(), nearDuplicates: new Map() };

describe('resolveEntry', () => {
  it('matches by arXiv id first', () => {
    const lookups = { ...empty, byArxivId: new Map([['2411.00001', { id: 7, arxivId: '2411.00001', titleKey: 'x' }]]) };
    expect(resolveEntry(entry({ rank: 1, arxivId: '2411.00001v2', title: 'Other title' }), lookups, 0.75)).toEqual({
      kind: 'existing',
      paperId: 7,
      route: 'arxiv-id',
    });
  });

  it('gives an id to a title-only paper, but never merges two different ids by title', () => {
    const lookups = {
      ...empty,
      byTitleKey: new Map([['a title', [{ id: 3, arxivId: null, titleKey: 'a title' }]]]),
    };
    expect(resolveEntry(entry({ rank: 1, arxivId: '2411.00002', title: 'A Title' }), lookups, 0.75)).toMatchObject({
      paperId: 3,
      route: 'title',
    });
    const taken = {
      ...empty,
      byTitleKey: new Map([['a title', [{ id: 4, arxivId: '2411.00009', titleKey: 'a title' }]]]),
    };
    expect(resolveEntry(entry({ rank: 1, arxivId: '2411.00002', title: 'A Title' }), taken, 0.75)).toEqual({
      kind: 'new',
    });
    expect(resolveEntry(entry({ rank: 1, title: 'A Title' }), taken, 0.75)).toMatchObject({
      paperId: 4,
      route: 'title',
    });
  });

  it('takes a near-duplicate only for entries without id and with an author in common', () => {
    const candidate = { paperId: 9, similarity: 0.82, authorKeys: ['lovelace', 'turing'] };
    const e = entry({ rank: 1, title: 'Scaling laws for sparse mixtures', authors: ['Ada Lovelace'] });
    const lookups = { ...empty, nearDuplicates: new Map([[e.externalId, [candidate]]]) };
    expect(resolveEntry(e, lookups, 0.75)).toMatchObject({ paperId: 9, route: 'near-duplicate' });
    const stranger = entry({ rank: 1, title: 'Scaling laws for sparse mixtures', authors: ['Grace Hopper'] });
    expect(
      resolveEntry(stranger, { ...empty, nearDuplicates: new Map([[stranger.externalId, [candidate]]]) }, 0.75),
    ).toEqual({ kind: 'new' });
  });
});

describe('isNearDuplicate', () => {
  it('needs a closer title when there are no authors to compare', () => {
    expect(isNearDuplicate(0.8, [], ['x'], 0.75)).toBe(false);
    expect(isNearDuplicate(0.93, [], ['x'], 0.75)).toBe(true);
    expect(isNearDuplicate(0.7, ['x'], ['x'], 0.75)).toBe(false);
  });
});

describe('batch helpers', () => {
  it('collapses repeats within a batch keeping the best rank', () => {
    const { unique, repeats } = collapseBatch([
      entry({ rank: 2, arxivId: '2411.00001', title: 'T' }),
      entry({ rank: 1, arxivId: '2411.00001v2', title: 'T' }),
      entry({ rank: 3, title: 'Only Title' }),
      entry({ rank: 4, title: 'only title!' }),
    ]);
    expect(unique.map((e) => e.rank)).toEqual([1, 3]);
    expect(repeats).toBe(2);
  });

  it('lock keys are sorted and unique (a fixed order means no deadlocks)', () => {
    const keys = dedupeLockKeys([
      entry({ rank: 1, arxivId: '2411.00002', title: 'B' }),
      entry({ rank: 2, arxivId: '2411.00001', title: 'B' }),
    ]);
    expect(keys).toEqual(['arxiv:2411.00001', 'arxiv:2411.00002', 'title:b']);
  });
});
