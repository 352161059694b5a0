import type { AppContext } from '@paperboy/app';
import {
  createQueueEvents,
  createRedis,
  createWorker,
  type IngestEntriesPayload,
  Queues,
  UnrecoverableError,
} from '@paperboy/queue';
import { deleteRedisPrefix, requireEnv, testQueuePrefix } from '@paperboy/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectBatch, emptySummary, type Pipeline } from '../../packages/cli/src/run-ingest.js';

// How `paperboy ingest` waits for a batch, on a real Redis with a real worker: the batch is waited
// for without being read back (`jobToWaitFor`), and its entries are read only when it failed.

const redisUrl = requireEnv('TEST_REDIS_URL');
const prefix = testQueuePrefix();
const redis = createRedis(redisUrl, 'producer');
const workerRedis = createRedis(redisUrl, 'worker');
const queues = new Queues(redis, { prefix, fetchAttempts: 1 });
const ingestEvents = createQueueEvents('ingest', { prefix, redisUrl });
const pipeline = { ctx: { queues } as unknown as AppContext, ingestEvents } as unknown as Pipeline;

const batch = (chunk: number, entries: unknown[]): IngestEntriesPayload => ({
  source: 'collect-test',
  listing: 'https://example.org/list',
  fetchId: null,
  seenAt: new Date('2026-12-07T05:00:00Z').toISOString(),
  contentHash: 'h',
  chunk,
  entries,
});

// Fails every batch whose first entry says so; stores nothing, reports its entries as new otherwise.
const worker = createWorker(
  'ingest',
  {
    'ingest-entries': async (payload) => {
      if ((payload.entries[0] as { fail?: boolean } | undefined)?.fail) throw new UnrecoverableError('refused');
      return { entries: payload.entries.length, new: payload.entries.length, updated: 0, merged: 0, rejected: 0 };
    },
  },
  { connection: workerRedis, prefix, concurrency: 2 },
);

beforeAll(async () => {
  await ingestEvents.waitUntilReady();
  void worker.run();
  await worker.waitUntilReady();
});

afterAll(async () => {
  await worker.close();
  await ingestEvents.close();
  await queues.close();
  redis.disconnect();
  workerRedis.disconnect();
  await deleteRedisPrefix(redisUrl, prefix);
});

describe('collectBatch', () => {
  it('adds what a stored batch reports, without reading the batch back', async () => {
    const job = await queues.add('ingest-entries', batch(0, [{ rank: 1 }, { rank: 2 }, { rank: 3 }]), 'collect-ok');
    const handle = await queues.jobToWaitFor('ingest-entries', job.id!);
    expect(handle?.id).toBe('collect-ok');
    expect(handle?.data).toBeUndefined();
    const summary = emptySummary(1);
    await collectBatch(pipeline, 'collect-ok', 'https://example.org/list', summary);
    expect(summary).toMatchObject({ new: 3, failed: 0, errors: [] });
  });

  it('counts the entries of a batch that failed as failed (read only then) and names it', async () => {
    const entries = [{ rank: 1, fail: true }, { rank: 2 }, { rank: 3 }, { rank: 4 }];
    await queues.add('ingest-entries', batch(1, entries), 'collect-failed');
    const summary = emptySummary(1);
    await collectBatch(pipeline, 'collect-failed', 'https://example.org/list', summary);
    expect(summary.new).toBe(0);
    expect(summary.failed).toBe(4);
    expect(summary.errors).toEqual([{ url: 'https://example.org/list', error: 'batch collect-failed: refused' }]);
  });

  it('reports a batch that is not in the queue as gone, never waiting for it', async () => {
    expect(await queues.jobToWaitFor('ingest-entries', 'collect-missing')).toBeUndefined();
    const summary = emptySummary(1);
    await collectBatch(pipeline, 'collect-missing', 'https://example.org/list', summary);
    expect(summary.failed).toBe(0);
    expect(summary.errors).toEqual([
      {
        url: 'https://example.org/list',
        error: 'batch collect-missing: job disappeared from the queue before it finished',
      },
    ]);
  });
});
