import type { EventData, EventType } from './schemas.js';

/**
 * One example `data` per event type, shown in docs/reference/events.md and checked against the
 * type's schema by the events test. Typed by type: a new event type without an example does not compile.
 */
export const eventExamples: { [T in EventType]: EventData<T> } = {
  'paper.created': {
    paper: {
      id: 4211,
      arxivId: '2612.01234',
      title: 'Sparse Mixtures of Small Experts',
      authors: ['Ada Lovelace', 'Alan Turing'],
      url: 'https://arxiv.org/abs/2612.01234',
      upvotes: 12,
      topics: ['llm', 'efficiency'],
      firstSeenAt: '2026-12-07T08:15:02.113Z',
    },
    source: 'hf-daily',
    listing: 'https://huggingface.co/papers?date=2026-12-07',
    rank: 3,
  },
  'paper.updated': {
    paper: {
      id: 4211,
      arxivId: '2612.01234',
      title: 'Sparse Mixtures of Small Experts',
      authors: ['Ada Lovelace', 'Alan Turing', 'Grace Hopper'],
      url: 'https://arxiv.org/abs/2612.01234',
      upvotes: 40,
      topics: ['llm', 'efficiency'],
      firstSeenAt: '2026-12-07T08:15:02.113Z',
    },
    changes: {
      authors: { from: ['Ada Lovelace', 'Alan Turing'], to: ['Ada Lovelace', 'Alan Turing', 'Grace Hopper'] },
      latestVersion: { from: 1, to: 2 },
    },
  },
  'paper.trending': {
    paper: {
      id: 4211,
      arxivId: '2612.01234',
      title: 'Sparse Mixtures of Small Experts',
      authors: ['Ada Lovelace', 'Alan Turing'],
      url: 'https://arxiv.org/abs/2612.01234',
      upvotes: 104,
      topics: ['llm', 'efficiency'],
      firstSeenAt: '2026-12-07T08:15:02.113Z',
    },
    reason: 'upvotes',
    threshold: 100,
    rank: null,
  },
  'source.health_changed': {
    source: 'hf-daily',
    from: 'healthy',
    to: 'failing',
    reason: 'HTTP 503 from https://huggingface.co/api/daily_papers',
    crawlId: 88120,
  },
  'digest.period_sent': {
    frequency: 'daily',
    periodKey: '2026-12-07',
    deliveries: 1240,
    sent: 1198,
    skipped: 40,
    failed: 2,
  },
};
