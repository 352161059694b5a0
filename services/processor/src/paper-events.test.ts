import type { PaperSnapshot } from '@paperboy/db';
import { describe, expect, it } from 'vitest';
import { batchPaperEvents, paperChanges, thresholdsCrossed } from './paper-events.js';

const paper = (over: Partial<PaperSnapshot> = {}): PaperSnapshot => ({
  id: 7,
  arxivId: '2612.00007',
  title: 'T',
  abstract: null,
  authors: ['A'],
  url: 'https://arxiv.org/abs/2612.00007',
  publishedAt: null,
  categories: ['cs.CL'],
  topics: ['llm'],
  codeUrl: null,
  projectPage: null,
  aiSummary: null,
  primaryCategory: null,
  journalRef: null,
  doi: null,
  license: null,
  latestVersion: null,
  upvotes: 3,
  firstSeenAt: '2026-12-07T10:00:00.000Z',
  ...over,
});

describe('paper events', () => {
  it('names each changed field with its value before and after; upvotes are no change', () => {
    expect(paperChanges(paper(), paper({ upvotes: 90 }))).toEqual({});
    expect(paperChanges(paper(), paper({ topics: ['llm', 'vision'], abstract: 'x' }))).toEqual({
      topics: { from: ['llm'], to: ['llm', 'vision'] },
      abstract: { from: null, to: 'x' },
    });
  });

  it('crosses thresholds upward only, each once per crossing: from < T <= to', () => {
    expect(thresholdsCrossed(49, 50, [50, 100])).toEqual([50]);
    expect(thresholdsCrossed(50, 120, [100, 50, 100])).toEqual([100]);
    expect(thresholdsCrossed(120, 40, [50, 100])).toEqual([]);
    expect(thresholdsCrossed(null, 60, [50, 100])).toEqual([50]);
    expect(thresholdsCrossed(10, null, [50])).toEqual([]);
  });

  it('orders a paper’s events as they happened: created, then its thresholds; updated, then its thresholds', () => {
    const events = batchPaperEvents({
      created: [{ paperId: 1, source: 'hf', listing: null, rank: 1 }],
      before: new Map([[7, paper()]]),
      after: new Map([
        [1, paper({ id: 1, upvotes: 60 })],
        [7, paper({ title: 'T2', upvotes: 100 })],
      ]),
      upvoteThresholds: [50, 100],
    });
    expect(events.map((e) => [e.paperId, e.type, e.dedupeKey ?? null])).toEqual([
      [1, 'paper.created', null],
      [1, 'paper.trending', 'paper.trending:upvotes:1:50'],
      [7, 'paper.updated', null],
      [7, 'paper.trending', 'paper.trending:upvotes:7:50'],
      [7, 'paper.trending', 'paper.trending:upvotes:7:100'],
    ]);
  });
});
