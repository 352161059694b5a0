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

/** A reader's feedback links for a fixture paper (the notifier signs real ones). */
export function feedbackOf(paperId: number): { moreUrl: string; lessUrl: string } {
  return {
    moreUrl: `https://paperboy.example/feedback?token=more-${paperId}.c2lnbmF0dXJlLW9mLXRoZS1mZWVkYmFjay1saW5r`,
    lessUrl: `https://paperboy.example/feedback?token=less-${paperId}.c2lnbmF0dXJlLW9mLXRoZS1mZWVkYmFjay1saW5r`,
  };
}

/**
 * A digest as the richer sources will fill it: every optional field on the first paper, an arXiv
 * paper with only its abstract, a Hugging Face paper without an arXiv id, and one known only by the
 * listing it was seen on; each with the reason the reader's ranking gave and their feedback links.
 * The text snapshot and the browser screenshots render this.
 */
export function richDigestInput(): DigestInput {
  return digestInput({
    subscriber: { email: 'reader@example.com', name: 'Ada' },
    period: { label: 'Daily digest, 2026-12-07', key: 'daily-2026-12-07' },
    papers: [
      paper({
        arxivId: '2612.04567v2',
        title: 'Speculative Decoding with Draft Trees for Long-Context Language Models',
        abstract:
          'Long-context decoding is slow. We propose draft trees. Experiments on eight benchmarks show a 2.7x speed-up.',
        summary:
          'Draft trees let a small model propose several continuations at once, so a long-context LLM decodes 2.7 times faster without any loss in quality.',
        authors: ['Wei Wang', 'Maria Garcia', 'Wei Wang', 'Kenji Tanaka', 'Olga Petrova'],
        url: 'http://127.0.0.1:8081/papers/2612.04567',
        upvotes: 87,
        topics: ['llm'],
        huggingfaceId: '2612.04567',
        githubRepo: 'https://github.com/example-lab/draft-trees',
        githubStars: 15_634,
        projectPage: 'https://example-lab.github.io/draft-trees/',
        why: 'like “Medusa: Simple LLM Inference Acceleration with Multiple Decoding Heads” you liked',
        feedback: feedbackOf(1),
      }),
      paper({
        arxivId: '2612.01001',
        title: 'Sim-to-Real Transfer for Legged Robots via Adaptive Domain Randomization',
        abstract:
          'Policies trained in simulation, e.g. with PPO, often fail on hardware. Following Lee et al. we randomize dynamics, but adapt the ranges online (cf. Fig. 2) from 3.5 hours of real data. The robot walks on ice, sand and stairs. We release code and models.',
        authors: ['Jonas Berg', 'Priya Natarajan'],
        url: 'https://arxiv.org/abs/2612.01001v1',
        upvotes: null,
        topics: ['rl-robotics', 'vision'],
        why: 'by an author you follow (Priya Natarajan)',
        feedback: feedbackOf(2),
      }),
      paper({
        arxivId: null,
        title: 'OpenPixel: A Fully Open Image Tokenizer',
        abstract: null,
        summary: 'OpenPixel is an image tokenizer whose weights, data and training code are all released.',
        authors: ['Lena Fischer'],
        url: 'https://huggingface.co/papers/openpixel-2026',
        upvotes: 12,
        topics: ['vision'],
        huggingfaceId: 'openpixel-2026',
        stars: 420,
        why: 'trending in vision',
        feedback: feedbackOf(3),
      }),
      paper({
        arxivId: null,
        title: 'A Workshop Paper Seen Only on a Listing',
        abstract: `${'An abstract that goes on without a full stop for a very long time '.repeat(6)}and ends here.`,
        authors: [],
        url: 'https://workshop.example.org/2026/papers/17',
        upvotes: 1,
        topics: [],
        why: 'matches “workshop”',
        feedback: feedbackOf(4),
      }),
    ],
  });
}
