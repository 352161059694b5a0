import { describe, expect, it } from 'vitest';
import { AUTHOR_SEPARATORS, cleanTermList, MAX_TERM_LENGTH, MAX_TERMS, TERM_SEPARATORS } from './term-list.js';

describe('cleanTermList', () => {
  it('trims, drops empty items and case-insensitive duplicates (the first spelling kept), in order', () => {
    expect(cleanTermList([' RLHF ', '', 'reward model', 'rlhf', '  ', 'Reward Model', 'DPO'])).toEqual({
      ok: true,
      terms: ['RLHF', 'reward model', 'DPO'],
    });
  });

  it('splits text: keywords on lines and commas, authors on semicolons too', () => {
    expect('a, b\r\nc\n'.split(TERM_SEPARATORS)).toEqual(['a', ' b', 'c', '']);
    expect(cleanTermList('Yann LeCun; Fei-Fei Li\nAda'.split(AUTHOR_SEPARATORS))).toEqual({
      ok: true,
      terms: ['Yann LeCun', 'Fei-Fei Li', 'Ada'],
    });
  });

  it('refuses too many items, too long an item and control characters', () => {
    const many = Array.from({ length: MAX_TERMS + 1 }, (_, i) => `k${i}`);
    expect(cleanTermList(many)).toEqual({ ok: false, error: `at most ${MAX_TERMS} items, got ${MAX_TERMS + 1}` });
    // Duplicates do not count against the limit.
    expect(cleanTermList([...many.slice(0, MAX_TERMS), 'K1']).ok).toBe(true);
    expect(cleanTermList(['x'.repeat(MAX_TERM_LENGTH)]).ok).toBe(true);
    expect(cleanTermList(['x'.repeat(MAX_TERM_LENGTH + 1)])).toEqual({
      ok: false,
      error: `"${'x'.repeat(20)}…" is longer than ${MAX_TERM_LENGTH} characters`,
    });
    for (const bad of ['a\tb', 'a\u0000b', 'a\u007fb', 'a\u0085b'])
      expect(cleanTermList([bad])).toEqual({ ok: false, error: 'an item contains a control character' });
  });
});
