import { describe, expect, it } from 'vitest';
import { arxivBaseId, compactCount, shortAuthors, shortSummary, splitSentences } from './summary.js';

describe('splitSentences', () => {
  it('splits at full stops, question and exclamation marks followed by a capital or a digit', () => {
    expect(splitSentences('We do this. We do that! Does it work? 3 runs say yes.')).toEqual([
      'We do this.',
      'We do that!',
      'Does it work?',
      '3 runs say yes.',
    ]);
  });

  it('does not split after abbreviations, initials, decimals or before a lowercase word', () => {
    expect(
      splitSentences(
        'Methods, e.g. PPO, and i.e. TRPO work. As Lee et al. (2024) and J. Smith show in Fig. 3, results hold. Gains of 3.5 points vs. Baselines follow. see below.',
      ),
    ).toEqual([
      'Methods, e.g. PPO, and i.e. TRPO work.',
      'As Lee et al. (2024) and J. Smith show in Fig. 3, results hold.',
      'Gains of 3.5 points vs. Baselines follow. see below.',
    ]);
    expect(splitSentences('Data from the U.S. Census is used. It helps.')).toEqual([
      'Data from the U.S. Census is used.',
      'It helps.',
    ]);
  });

  it('keeps closing quotes and brackets with their sentence, and line breaks do not matter', () => {
    expect(splitSentences('We call it "fast." (It is.)\nThen more.')).toEqual([
      'We call it "fast."',
      '(It is.)',
      'Then more.',
    ]);
    expect(splitSentences('')).toEqual([]);
  });
});

describe('shortSummary', () => {
  it('takes the first sentence, and the second when both fit, without an ellipsis', () => {
    expect(shortSummary('One. Two. Three.', 300)).toBe('One. Two.');
    expect(shortSummary('One is here. Two is a longer sentence.', 20)).toBe('One is here.');
    expect(shortSummary('Only one sentence, no stop', 300)).toBe('Only one sentence, no stop');
  });

  it('cuts a first sentence longer than the limit at a word, with an ellipsis', () => {
    const cut = shortSummary(`${'word '.repeat(100)}end. Next.`, 300);
    expect(cut.length).toBeLessThanOrEqual(301);
    expect(cut).toMatch(/ word…$/);
    expect(shortSummary('', 300)).toBe('');
  });
});

describe('shortAuthors', () => {
  it('names one, two, three, then the first three and "et al."', () => {
    expect(shortAuthors([], 3)).toBe('');
    expect(shortAuthors(['A'], 3)).toBe('A');
    expect(shortAuthors(['A', 'B'], 3)).toBe('A and B');
    expect(shortAuthors(['A', 'B', 'C'], 3)).toBe('A, B and C');
    expect(shortAuthors(['A', 'B', 'C', 'D'], 3)).toBe('A, B, C et al.');
  });

  it('keeps homonymous co-authors and drops empty names', () => {
    expect(shortAuthors(['Wei Wang', 'Wei Wang'], 3)).toBe('Wei Wang and Wei Wang');
    expect(shortAuthors([' ', 'A\r\nB', ''], 3)).toBe('A B');
  });
});

describe('arxivBaseId and compactCount', () => {
  it('drops the version, accepts old-style ids, refuses anything else', () => {
    expect(arxivBaseId('2611.01234v3')).toBe('2611.01234');
    expect(arxivBaseId('arXiv:2611.01234')).toBe('2611.01234');
    expect(arxivBaseId('hep-th/9901001v2')).toBe('hep-th/9901001');
    expect(arxivBaseId('math.GT/0309136')).toBe('math.GT/0309136');
    expect(arxivBaseId('2611.01234/../x')).toBeNull();
    expect(arxivBaseId('"><script>')).toBeNull();
    expect(arxivBaseId(null)).toBeNull();
  });

  it('shows counts compactly', () => {
    expect(compactCount(0)).toBe('0');
    expect(compactCount(1234)).toBe('1,234');
    expect(compactCount(15_634)).toBe('15.6k');
    expect(compactCount(2_000_000)).toBe('2M');
  });
});
