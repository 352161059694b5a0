import { describe, expect, it } from 'vitest';
import { normalizeEntry } from './entry.js';
import { FIELD_LIMITS } from './limits.js';
import { authorKey, cleanTitle, normalizeArxivId, normalizeAuthors, titleKey } from './normalize.js';

describe('normalizeArxivId', () => {
  it.each([
    ['2411.01234', '2411.01234'],
    ['2411.01234v3', '2411.01234'],
    ['arXiv:2411.01234v2', '2411.01234'],
    ['https://arxiv.org/abs/2411.01234v2', '2411.01234'],
    ['https://arxiv.org/pdf/2411.01234.pdf', '2411.01234'],
    ['/abs/2411.01234', '2411.01234'],
    ['0704.0001', '0704.0001'],
    ['1412.6980v9', '1412.6980'],
    ['hep-th/9901001', 'hep-th/9901001'],
    ['hep-th/9901001v2', 'hep-th/9901001'],
    ['math.GT/0309136', 'math.GT/0309136'],
    ['arXiv:cond-mat/0102536v1', 'cond-mat/0102536'],
  ])('%s → %s', (raw, expected) => {
    expect(normalizeArxivId(raw)).toBe(expected);
  });

  it.each(['', 'not an id', '2413.01234', '2411.123', '1501.1234', 'hep-th/990100', '12345.67890'])(
    'rejects %j',
    (raw) => {
      expect(normalizeArxivId(raw)).toBeNull();
    },
  );
});

describe('titles and authors', () => {
  it('folds line breaks and removes the Title: descriptor', () => {
    expect(cleanTitle('Title:\n  Attention Is\n   All You  Need ')).toBe('Attention Is All You Need');
  });

  it('gives one key to differently typeset titles', () => {
    expect(titleKey('Attention Is All You Need!')).toBe(titleKey('attention is  all you need'));
    expect(titleKey('Schrödinger Bridges')).toBe(titleKey('Schrodinger bridges'));
    expect(titleKey('$\\alpha$-Divergence Training')).toBe('alpha divergence training');
  });

  it('cleans and keys author names, keeping order and repeats (homonymous co-authors are two authors)', () => {
    expect(normalizeAuthors(['Ada  Lovelace', ' ', 'ada lovelace', 'Alan Turing,', 3])).toEqual([
      'Ada Lovelace',
      'ada lovelace',
      'Alan Turing',
    ]);
    expect(normalizeAuthors(['Wei Wang', 'Jun Li', 'Wei Wang'])).toEqual(['Wei Wang', 'Jun Li', 'Wei Wang']);
    expect(authorKey('José Álvarez-Ruiz')).toBe('alvarez-ruiz');
  });
});

describe('normalizeEntry', () => {
  it('keeps a paper with an id and a title, counts as numbers', () => {
    const result = normalizeEntry({
      rank: 3,
      arxivId: '2411.01234v2',
      title: ' A  Title ',
      upvotes: 12.7,
      comments: -1,
      authors: ['A B'],
    });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.entry).toMatchObject({
      arxivId: '2411.01234',
      externalId: '2411.01234',
      title: 'A Title',
      upvotes: 12,
      comments: null,
      authorKeys: ['b'],
      version: 2,
    });
  });

  it('keeps two co-authors of the same name, as a Hugging Face entry lists them', () => {
    // The shape hf-entry gives for paper.authors [{name: 'Wei Wang'}, {name: 'Yang Liu'}, {name: 'Wei Wang'}].
    const result = normalizeEntry({
      rank: 1,
      arxivId: '2606.13681',
      title: 'T',
      authors: ['Wei Wang', 'Yang Liu', 'Wei Wang'],
    });
    expect(result.ok && result.entry.authors).toEqual(['Wei Wang', 'Yang Liu', 'Wei Wang']);
    expect(result.ok && result.entry.authorKeys).toEqual(['wang', 'liu']);
  });

  it('keeps what the sources give beyond the listing, bounded, URLs http(s) only', () => {
    const result = normalizeEntry({
      rank: 1,
      arxivId: '2606.13392',
      title: 'MiniMax Sparse Attention',
      categories: ['cs.CL', 'cs.LG'],
      primaryCategory: 'cs.LG',
      githubRepo: 'https://github.com/MiniMax-AI/MSA',
      githubStars: 251.4,
      projectPage: 'javascript:alert(1)',
      aiSummary: ` ${'word '.repeat(2_000)}`,
      aiKeywords: ['sparse attention', 'sparse attention', ' ', 'long context'],
      organization: 'MiniMax-AI',
      submittedBy: 'someone\u0000',
      thumbnail: 'https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/2606.13392.png',
      mediaUrls: ['https://a.example/1.png', 'ftp://a.example/2.png', 'https://a.example/1.png'],
      arxivComments: '10 pages,\n 7 figures',
      journalRef: 'ApJ 976, 181 (2024)',
      doi: '10.1000/xyz',
      license: 'http://creativecommons.org/licenses/by/4.0/',
      version: 0,
    });
    if (!result.ok) throw new Error(result.reason);
    expect(result.entry.categories).toEqual(['cs.LG', 'cs.CL']);
    expect(result.entry.version).toBeNull();
    expect(result.entry.details).toEqual({
      codeUrl: 'https://github.com/MiniMax-AI/MSA',
      codeStars: 251,
      projectPage: null,
      aiSummary: expect.stringMatching(/^word word/),
      aiKeywords: ['sparse attention', 'long context'],
      organization: 'MiniMax-AI',
      submittedBy: 'someone',
      thumbnail: 'https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/2606.13392.png',
      mediaUrls: ['https://a.example/1.png'],
      primaryCategory: 'cs.LG',
      arxivComments: '10 pages, 7 figures',
      journalRef: 'ApJ 976, 181 (2024)',
      doi: '10.1000/xyz',
      license: 'http://creativecommons.org/licenses/by/4.0/',
    });
    expect(result.entry.details.aiSummary!.length).toBeLessThanOrEqual(FIELD_LIMITS.summary);
  });

  it('rejects an entry without title, saying which', () => {
    expect(normalizeEntry({ rank: 1, arxivId: '2411.01234' })).toEqual({
      ok: false,
      reason: 'entry 2411.01234 has no title',
    });
    expect(normalizeEntry({ rank: 1 })).toEqual({ ok: false, reason: 'entry has neither title nor arXiv id' });
  });

  it('keys an entry without id by its url, else its title', () => {
    const byUrl = normalizeEntry({ rank: 1, title: 'T', url: 'https://example.org/p/1' });
    const byTitle = normalizeEntry({ rank: 1, title: 'Some Title' });
    expect(byUrl.ok && byUrl.entry.externalId).toBe('https://example.org/p/1');
    expect(byTitle.ok && byTitle.entry.externalId).toBe('title:some title');
  });

  it('keeps script tags and TeX as plain text', () => {
    const result = normalizeEntry({ rank: 1, arxivId: '2411.00001', title: '<script>alert(1)</script> & $O(n^2)$' });
    expect(result.ok && result.entry.title).toBe('<script>alert(1)</script> & $O(n^2)$');
  });
});
