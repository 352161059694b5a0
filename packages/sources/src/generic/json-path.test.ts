import { describe, expect, it } from 'vitest';
import { compilePath, resolvePath } from './json-path.js';

describe('compilePath', () => {
  it.each([
    ['', []],
    ['props', [{ key: 'props' }]],
    ['props.items', [{ key: 'props' }, { key: 'items' }]],
    ['data[0].papers[*]', [{ key: 'data' }, { index: 0 }, { key: 'papers' }, { every: true }]],
    ['[*].paper.id', [{ every: true }, { key: 'paper' }, { key: 'id' }]],
    ['a-b.c_d.0', [{ key: 'a-b' }, { key: 'c_d' }, { key: '0' }]],
  ])('%j', (path, steps) => {
    expect(compilePath(path)).toEqual(steps);
  });

  it.each(['.a', 'a.', 'a..b', 'a.[0]', 'a[x]', 'a[-1]', 'a[', 'a]', '[]'])('%j is no path', (path) => {
    expect(compilePath(path)).toBeUndefined();
  });
});

describe('resolvePath', () => {
  const doc = {
    props: { items: [{ id: 1, tags: ['a', 'b'] }, { id: 2, tags: [] }, { id: 3 }] },
    byKey: { x: { n: 1 }, y: { n: 2 } },
  };
  const at = (path: string) => resolvePath(doc, compilePath(path) ?? []);

  it('follows keys and indexes', () => {
    expect(at('props.items[1].id')).toEqual([2]);
    expect(at('')).toEqual([doc]);
  });

  it('fans out over arrays and object values with [*], in order', () => {
    expect(at('props.items[*].id')).toEqual([1, 2, 3]);
    expect(at('props.items[*].tags[*]')).toEqual(['a', 'b']);
    expect(at('byKey[*].n')).toEqual([1, 2]);
  });

  it('finds nothing on missing keys, out-of-range indexes and inherited properties', () => {
    expect(at('props.nope')).toEqual([]);
    expect(at('props.items[9]')).toEqual([]);
    expect(at('props.items[0].id.deeper')).toEqual([]);
    expect(at('props.constructor')).toEqual([]);
  });

  it('reads an array\'s length, its own property ("comments.length" counts comments)', () => {
    expect(at('props.items.length')).toEqual([3]);
  });
});
