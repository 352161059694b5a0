import { describe, expect, it } from 'vitest';
import { enrichKindsFor } from '../store-batch.js';
import { enrichUrl, parseAnswer } from './enrich-papers.handler.js';

const settings = {
  kinds: ['arxiv', 'hf'] as const,
  arxivUrl: 'https://export.arxiv.org/api/query',
  hfUrl: 'https://huggingface.co/api/papers/',
};

describe('enrichment requests', () => {
  it('asks each paper about what its listing did not give: arXiv-listed papers Hugging Face, HF-listed ones arXiv, others both', () => {
    expect(enrichKindsFor('arxiv-rss', ['arxiv', 'hf'])).toEqual(['hf']);
    expect(enrichKindsFor('arxiv-list', ['arxiv', 'hf'])).toEqual(['hf']);
    expect(enrichKindsFor('hf-api', ['arxiv', 'hf'])).toEqual(['arxiv']);
    expect(enrichKindsFor('hf-papers', ['arxiv', 'hf'])).toEqual(['arxiv']);
    expect(enrichKindsFor('generic', ['arxiv', 'hf'])).toEqual(['arxiv', 'hf']);
    expect(enrichKindsFor('generic', ['hf'])).toEqual(['hf']);
    expect(enrichKindsFor('hf-api', ['hf'])).toEqual([]);
    expect(enrichKindsFor('generic', [])).toEqual([]);
  });

  it('builds the arXiv id_list query (max_results the number of ids) and the paper API URL', () => {
    expect(enrichUrl(settings, 'arxiv', ['2605.05242', 'hep-th/9901001'])).toBe(
      'https://export.arxiv.org/api/query?id_list=2605.05242%2Chep-th%2F9901001&max_results=2',
    );
    expect(enrichUrl(settings, 'hf', ['2605.05242'])).toBe('https://huggingface.co/api/papers/2605.05242');
  });

  it('reads an unusable answer as an error with the reason, never throwing', () => {
    expect(parseAnswer('hf', '{"id": "2605.0', 'https://hf.test/api/papers/x').error).toMatch(/not JSON/);
    expect(parseAnswer('hf', '[{"id":"2605.05242"}]', 'https://hf.test/api/papers/x').error).toMatch(
      /not a paper object/,
    );
    expect(parseAnswer('hf', '{"error":"Not found"}', 'https://hf.test/api/papers/x').error).toMatch(/unusable/);
    expect(parseAnswer('arxiv', '<html>busy</html>', 'https://a.test/api/query').error).toMatch(
      /not an RSS or Atom feed/,
    );
    // An answer with no entry (every id unknown) is no error: each paper ends not-found.
    const empty = '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>x</title></feed>';
    expect(parseAnswer('arxiv', empty, 'https://a.test/api/query')).toEqual({ entries: [] });
  });
});
