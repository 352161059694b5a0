import type { DigestInput, DigestPaper } from './digest.js';

/** Test fixtures shared by the digest and transport tests. */
export function paper(overrides: Partial<DigestPaper> = {}): DigestPaper {
  return {
    arxivId: '2611.01234',
    title: 'Sparse Attention at Scale',
    abstract: 'We study sparse attention. '.repeat(30),
    authors: ['Ada Lovelace', 'Alan Turing', 'Grace Hopper', 'Edsger Dijkstra', 'Barbara Liskov'],
    url: 'https://arxiv.org/abs/2611.01234',
    upvotes: 42,
    topics: ['Machine learning', 'Efficiency'],
    ...overrides,
  };
}

export function digestInput(overrides: Partial<DigestInput> = {}): DigestInput {
  return {
    subscriber: { email: 'reader@example.com', name: 'Reader' },
    period: { label: 'Daily digest, 28 Nov 2026', key: 'daily-2026-11-28' },
    papers: [
      paper(),
      paper({ arxivId: null, title: 'Second paper', upvotes: null, abstract: null, authors: ['Solo Author'] }),
    ],
    links: {
      unsubscribeUrl: 'https://paperboy.example/unsubscribe?token=abc',
      preferencesUrl: 'https://paperboy.example/preferences?token=abc',
      siteUrl: 'https://paperboy.example/',
    },
    listId: 'paperboy digest <digest.paperboy.example>',
    from: 'paperboy <digest@paperboy.example>',
    messageIdDomain: 'paperboy.example',
    ...overrides,
  };
}

export const HOSTILE_TITLE = 'Attack <script>alert(1)</script> "quoted" & more\r\nBcc: evil@example.com';
