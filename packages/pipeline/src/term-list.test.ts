import { describe, expect, it } from 'vitest';
import { cleanTermList, keywordConflict, MAX_TERM_LENGTH, MAX_TERMS, splitTermList } from './term-list.js';

describe('cleanTermList', () => {
  it('trims, drops empty items and case-insensitive duplicates (the first spelling kept), in order', () => {
    expect(cleanTermList([' RLHF ', '', 'reward model', 'rlhf', '  ', 'Reward Model', 'DPO'], 'keywords')).toEqual({
      ok: true,
      terms: ['RLHF', 'reward model', 'DPO'],
    });
  });

  it('splits text: keywords on lines and commas, authors on lines and semicolons (names contain commas)', () => {
    expect(splitTermList('a, b\r\nc\n', 'keywords')).toEqual(['a', ' b', 'c', '']);
    expect(cleanTermList(splitTermList('Smith, J.; Fei-Fei Li\r\nAda', 'authors'), 'authors')).toEqual({
      ok: true,
      terms: ['Smith, J.', 'Fei-Fei Li', 'Ada'],
    });
  });

  it("refuses an item holding its list's separator: the page could not show it back as text", () => {
    expect(cleanTermList(['foo, bar'], 'keywords')).toEqual({
      ok: false,
      error: '"foo, bar" contains a comma, which separates the items of this list',
    });
    expect(cleanTermList(['Smith; J.'], 'authors')).toMatchObject({ ok: false });
    expect(cleanTermList(['Smith, J.'], 'authors')).toEqual({ ok: true, terms: ['Smith, J.'] });
  });

  it('refuses too many items, too long an item and control characters', () => {
    const many = Array.from({ length: MAX_TERMS + 1 }, (_, i) => `k${i}`);
    expect(cleanTermList(many, 'keywords')).toEqual({
      ok: false,
      error: `at most ${MAX_TERMS} items, got ${MAX_TERMS + 1}`,
    });
    // Duplicates do not count against the limit.
    expect(cleanTermList([...many.slice(0, MAX_TERMS), 'K1'], 'keywords').ok).toBe(true);
    expect(cleanTermList(['x'.repeat(MAX_TERM_LENGTH)], 'keywords').ok).toBe(true);
    expect(cleanTermList(['x'.repeat(MAX_TERM_LENGTH + 1)], 'authors')).toEqual({
      ok: false,
      error: `"${'x'.repeat(20)}…" is longer than ${MAX_TERM_LENGTH} characters`,
    });
    // Invisible ones too: a zero-width space, a bidi override, a lone surrogate.
    for (const bad of ['a\tb', 'a\u0000b', 'a\u007fb', 'a\u0085b', '\u200b', 'ab\u202ec', 'a\ud800'])
      expect(cleanTermList([bad], 'keywords')).toEqual({ ok: false, error: 'an item contains a control character' });
  });

  it('refuses keywords that cannot match what their reader means, with the reason; authors are names, not keywords', () => {
    const refused = (item: string) => {
      const result = cleanTermList(['diffusion', item], 'keywords');
      return result.ok ? null : result.error;
    };
    expect(refused('*')).toBe('"*" has no letter or digit to match');
    expect(refused('C++')).toBe('"C++" would match only "c" (punctuation is not matched): too short to mean it');
    expect(refused('the')).toBe('"the" is too common a word to match on: nearly every paper has it');
    expect(refused('Of The')).toBe('"Of The" is too common a word to match on: nearly every paper has it');
    expect(refused('not: review')).toBe(
      '"not: review": write the keyword without "not:" (a keyword to avoid goes in the negative keywords)',
    );
    // Every refused item at once, each problem once.
    expect(cleanTermList(['the', 'memory', '*', 'The', '+'], 'keywords')).toEqual({
      ok: false,
      error:
        '"the" is too common a word to match on: nearly every paper has it; "*" has no letter or digit to match; ' +
        '"The" is too common a word to match on: nearly every paper has it; "+" has no letter or digit to match',
    });
    // Short or common words are fine within a phrase, and digits count.
    for (const fine of ['GPT-4', 'R1', '3D', 'state of the art', 'C. elegans', 'notation', 'X-ray'])
      expect(refused(fine), fine).toBeNull();
    expect(cleanTermList(['J. R. R. Tolkien', 'A'], 'authors')).toEqual({ ok: true, terms: ['J. R. R. Tolkien', 'A'] });
  });

  it('finds keywords that are also negative keywords, however written', () => {
    expect(keywordConflict(['memory', 'agents'], ['survey'])).toBeNull();
    expect(keywordConflict(['Memory', 'diffusion models'], ['memory', 'Diffusion Model'])).toBe(
      '"Memory", "diffusion models" are both a keyword and a negative keyword: a paper with them would be excluded; keep each in one list',
    );
    expect(keywordConflict(['memory'], ['MEMORY'])).toBe(
      '"memory" is both a keyword and a negative keyword: a paper with it would be excluded; keep it in one list',
    );
  });
});
