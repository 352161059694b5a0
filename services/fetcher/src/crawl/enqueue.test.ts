import { contentJobId } from '@paperboy/queue';
import { describe, expect, it } from 'vitest';
import { ingestBatches } from './enqueue.js';

const origin = {
  source: 'hf-daily',
  adapter: 'hf-papers',
  listing: 'https://huggingface.co/papers',
  fetchId: 7,
  seenAt: new Date('2026-12-06T10:00:00Z'),
  contentHash: 'abc',
};

describe('ingestBatches', () => {
  it('chunks entries into jobs whose ids come from the content, each carrying where its entries came from', () => {
    const entries = Array.from({ length: 5 }, (_, rank) => ({ rank }));
    const jobs = ingestBatches({ ...origin, crawlId: 3 }, entries, 2);
    expect(jobs.map((j) => j.data.entries)).toEqual([
      [{ rank: 0 }, { rank: 1 }],
      [{ rank: 2 }, { rank: 3 }],
      [{ rank: 4 }],
    ]);
    expect(jobs.map((j) => j.jobId)).toEqual(
      [0, 1, 2].map((chunk) => contentJobId('ingest', 'hf-daily', origin.listing, 'abc', chunk)),
    );
    expect(jobs[2]!.data).toEqual({
      source: 'hf-daily',
      adapter: 'hf-papers',
      listing: origin.listing,
      fetchId: 7,
      crawlId: 3,
      seenAt: '2026-12-06T10:00:00.000Z',
      contentHash: 'abc',
      chunk: 2,
      entries: [{ rank: 4 }],
    });
  });

  it("leaves out the crawl id when there is no crawl (a replay), and takes the caller's job ids", () => {
    const jobs = ingestBatches(origin, [{ rank: 0 }], 50, (chunk) => `replay-${chunk}`);
    expect(jobs).toHaveLength(1);
    expect(jobs[0]!.jobId).toBe('replay-0');
    expect(jobs[0]!.data).not.toHaveProperty('crawlId');
  });

  it('makes no job of no entries', () => {
    expect(ingestBatches(origin, [], 50)).toEqual([]);
  });
});
