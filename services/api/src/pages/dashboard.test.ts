import { describe, expect, it } from 'vitest';
import { paperCells, webhooksPanel } from './dashboard.js';

const fields = {
  paperId: 7,
  arxivId: '2611.30007',
  url: 'http://127.0.0.1:8080/papers/7',
  codeUrl: 'https://github.com/org/repo',
  codeStars: 12345,
  projectPage: null,
  aiSummary: null,
  submittedBy: null,
};

describe('the dashboard page: paper cells', () => {
  it("links a title to the paper's canonical page, never the loopback listing it was seen on", () => {
    const cells = paperCells({ paperId: 7, arxivId: '2611.30007', title: 'Seven <b>' }, fields);
    expect(cells.title.html).toBe(
      '<a class="paper-link" href="https://arxiv.org/abs/2611.30007" rel="noopener noreferrer">Seven &lt;b&gt;</a>',
    );
    expect(cells.code.html).toBe(
      '<a class="code-link" href="https://github.com/org/repo" rel="noopener noreferrer">code</a> ★ 12,345',
    );
  });

  it('links a paper without an arXiv id to its stored page; no code, no stars; never a script URL', () => {
    const plain = paperCells(
      { paperId: 8, arxivId: null, title: 'Eight' },
      { ...fields, paperId: 8, arxivId: null, url: 'https://example.org/p/8', codeUrl: null, codeStars: 5 },
    );
    expect(plain.title.html).toContain('href="https://example.org/p/8"');
    expect(plain.code.html).toBe('');
    const hostile = paperCells(
      { paperId: 9, arxivId: null, title: 'Nine' },
      { ...fields, paperId: 9, arxivId: null, url: 'javascript:alert(1)', codeUrl: 'javascript:alert(2)' },
    );
    expect(hostile.title.html).toBe('Nine');
    expect(hostile.code.html).toBe('');
    // Link fields not read (a paper gone meanwhile): the arXiv page from the listed id.
    expect(paperCells({ paperId: 10, arxivId: '2611.30010', title: 'Ten' }, undefined).title.html).toContain(
      'href="https://arxiv.org/abs/2611.30010"',
    );
  });
});

describe('the dashboard page: webhook endpoints', () => {
  const endpoint = {
    id: 3,
    url: 'https://hooks.example.org/services/T000/B000?token=SEKRIT',
    eventTypes: [],
    topics: ['llm'],
    enabled: true,
    disabledReason: null,
    consecutiveFailures: 0,
    failingSince: null,
    lastSuccessAt: null,
    lastFailureAt: null,
    lastStatus: 200,
    lastError: null,
    delivered: 5,
    failed: 0,
    pendingEvents: 0,
  };

  it("shows an endpoint's origin, never the path or query that may hold its token (the page may be public)", () => {
    const html = webhooksPanel([endpoint]);
    expect(html).toContain('#3 https://hooks.example.org/…');
    expect(html).not.toContain('SEKRIT');
    expect(html).not.toContain('T000');
    expect(webhooksPanel([{ ...endpoint, url: 'https://hooks.example.org/' }])).toContain(
      '#3 https://hooks.example.org<',
    );
  });
});
