import { describe, expect, it } from 'vitest';
import { absoluteUrl, cleanText, stripDescriptor, toInt } from './text.js';

describe('cleanText', () => {
  it('folds line breaks, tabs and runs of spaces to one space and trims', () => {
    expect(cleanText('  Σ-Mem: An Online\n  Reliability\t\tMemory  ')).toBe('Σ-Mem: An Online Reliability Memory');
    expect(cleanText('a\r\nb\u00a0\u00a0c')).toBe('a b c');
  });

  it('decodes entities that survived parsing, once', () => {
    expect(cleanText('Q&amp;A &lt;script&gt; &#946; &#x3b1;')).toBe('Q&A <script> β α');
    expect(cleanText('&amp;amp;')).toBe('&amp;');
  });

  it('leaves ampersands that are not complete references alone', () => {
    expect(cleanText('R&D at AT&T, &para without semicolon')).toBe('R&D at AT&T, &para without semicolon');
  });

  it('keeps TeX and markup-like text as plain text', () => {
    expect(cleanText('$\\alpha$-decay of <script>x</script>')).toBe('$\\alpha$-decay of <script>x</script>');
  });

  it('gives an empty string for nothing', () => {
    expect(cleanText(undefined)).toBe('');
    expect(cleanText(null)).toBe('');
    expect(cleanText(' \n ')).toBe('');
  });
});

describe('stripDescriptor', () => {
  it('removes one leading label', () => {
    expect(stripDescriptor('Title: Attention')).toBe('Attention');
    expect(stripDescriptor('Authors:Ada Lovelace')).toBe('Ada Lovelace');
    expect(stripDescriptor('  abstract:  We study')).toBe('We study');
    expect(stripDescriptor('Subjects: Machine Learning (cs.LG)')).toBe('Machine Learning (cs.LG)');
  });

  it('leaves other text, and labels not at the start, alone', () => {
    expect(stripDescriptor('Titles: A Survey')).toBe('Titles: A Survey');
    expect(stripDescriptor('On Title: Pages')).toBe('On Title: Pages');
  });
});

describe('absoluteUrl', () => {
  const base = 'https://huggingface.co/papers/date/2026-06-12';

  it('resolves relative and root-relative hrefs with the URL parser', () => {
    expect(absoluteUrl('/papers/2606.13681', base)).toBe('https://huggingface.co/papers/2606.13681');
    expect(absoluteUrl('2026-06-11', base)).toBe('https://huggingface.co/papers/date/2026-06-11');
    expect(absoluteUrl('  /abs/hep-th/9901001 ', 'https://arxiv.org/list/hep-th/new')).toBe(
      'https://arxiv.org/abs/hep-th/9901001',
    );
    expect(absoluteUrl('//arxiv.org/abs/2411.14419', base)).toBe('https://arxiv.org/abs/2411.14419');
  });

  it('keeps absolute http(s) URLs', () => {
    expect(absoluteUrl('https://arxiv.org/abs/2411.14419', base)).toBe('https://arxiv.org/abs/2411.14419');
  });

  it('returns undefined for missing, blank, unparsable or non-http hrefs', () => {
    expect(absoluteUrl(undefined, base)).toBeUndefined();
    expect(absoluteUrl(null, base)).toBeUndefined();
    expect(absoluteUrl('   ', base)).toBeUndefined();
    expect(absoluteUrl('http://[::1', base)).toBeUndefined();
    expect(absoluteUrl('/papers/1', 'not a base')).toBeUndefined();
    expect(absoluteUrl('javascript:alert(1)', base)).toBeUndefined();
    expect(absoluteUrl('mailto:a@b.c', base)).toBeUndefined();
  });
});

describe('toInt', () => {
  it('reads plain and displayed counts', () => {
    expect(toInt('12')).toBe(12);
    expect(toInt(' 7 ')).toBe(7);
    expect(toInt('1,234')).toBe(1234);
    expect(toInt('1,234,567')).toBe(1234567);
    expect(toInt('1.2k')).toBe(1200);
    expect(toInt('3M')).toBe(3_000_000);
    expect(toInt('2 comments')).toBe(2);
    expect(toInt(118)).toBe(118);
    expect(toInt(0)).toBe(0);
  });

  it('returns undefined when there is no count', () => {
    expect(toInt('')).toBeUndefined();
    expect(toInt('-')).toBeUndefined();
    expect(toInt(undefined)).toBeUndefined();
    expect(toInt(null)).toBeUndefined();
    expect(toInt(Number.NaN)).toBeUndefined();
    expect(toInt(-3)).toBeUndefined();
    expect(toInt({})).toBeUndefined();
  });
});
