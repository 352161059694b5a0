import { deleteRedisPrefix, requireEnv, testQueuePrefix } from '@paperboy/test-utils';
import { afterAll, describe, expect, it } from 'vitest';
import { createRedis } from './connection.js';
import { InvalidPayloadError, jobRetention } from './jobs.js';
import { Queues } from './queues.js';
import type { Schedule } from './schedules.js';

// The producer side on a real Redis: adds, schedules and look-ups by job name.

const redisUrl = requireEnv('TEST_REDIS_URL');
const prefix = testQueuePrefix();
const redis = createRedis(redisUrl, 'producer');
const queues = new Queues(redis, { prefix, fetchAttempts: 4 });

afterAll(async () => {
  await queues.close();
  redis.disconnect();
  await deleteRedisPrefix(redisUrl, prefix);
});

const later = Date.now() + 3_600_000; // no scheduled job comes due during the test

describe('Queues', () => {
  it('schedules a job on its own queue, with the options of every job of its name', async () => {
    await queues.schedule('plan-digests', 'planner-test', { every: 60_000, startDate: later }, { frequency: 'weekly' });
    const scheduler = await queues.get('planning').getJobScheduler('planner-test');
    expect(scheduler).toMatchObject({
      name: 'plan-digests',
      every: 60_000,
      template: { data: { frequency: 'weekly' } },
    });
    expect(scheduler!.template!.opts).toMatchObject({
      attempts: 3,
      backoff: { type: 'exponential', delay: 5000 },
      ...jobRetention,
    });
    const [next] = await queues.get('planning').getJobs(['delayed']);
    expect(next).toMatchObject({ name: 'plan-digests', opts: expect.objectContaining(jobRetention) });
    // An added job of the same name keeps finished jobs as long.
    const added = await queues.add('plan-digests', { frequency: 'daily' });
    expect(added.opts).toMatchObject({ attempts: 3, ...jobRetention });
    expect(await queues.get('notify').getJobSchedulers(0, -1)).toEqual([]);
  });

  it('refuses a payload its job does not take, before anything reaches Redis', async () => {
    const bad = { frequency: 'hourly' } as unknown as { frequency: 'daily' };
    await expect(queues.schedule('plan-digests', 'planner-bad', { every: 60_000 }, bad)).rejects.toThrow(
      InvalidPayloadError,
    );
    expect(await queues.get('planning').getJobScheduler('planner-bad')).toBeUndefined();
    await expect(queues.add('plan-digests', bad)).rejects.toThrow(/^invalid payload for plan-digests/);
    await expect(queues.addBulk('crawl-page', [{ data: { source: 'a', url: 'not a url' } }])).rejects.toThrow(
      /^invalid payload for crawl-page/,
    );
    expect(await queues.get('crawl').getJobCountByTypes('waiting', 'delayed', 'prioritized')).toBe(0);
  });

  it('refuses an ingest batch from outside whose payload is invalid, whole, before anything reaches Redis', async () => {
    const good = {
      source: 'outside',
      listing: 'https://example.org/list',
      fetchId: null,
      seenAt: new Date().toISOString(),
      contentHash: 'h',
      chunk: 0,
      entries: [{ title: 'x' }],
    };
    const hostile = [
      { ...good, chunk: 1, entries: { 0: 'not an array' } },
      { ...good, chunk: 1, seenAt: 'yesterday' },
      { ...good, chunk: 1, fetchId: '1; DROP TABLE papers' },
      { ...good, chunk: 1.5 },
      'not even an object',
    ];
    for (const bad of hostile) {
      const jobs = [
        { data: good, jobId: 'outside-0' },
        { data: bad as typeof good, jobId: 'outside-1' },
      ];
      await expect(queues.addBulk('ingest-entries', jobs)).rejects.toThrow(/^invalid payload for ingest-entries/);
      await expect(queues.addBulk('ingest-entries', [jobs[1]!])).rejects.toThrow(InvalidPayloadError);
    }
    expect(await queues.get('ingest').getJobCountByTypes('waiting', 'delayed', 'prioritized')).toBe(0);
  });

  it('adds one job as a batch of several would: its options, its delay, and nothing twice for one id', async () => {
    const data = {
      source: 'one',
      listing: 'https://example.org/one',
      fetchId: 1,
      seenAt: new Date().toISOString(),
      contentHash: 'h1',
      chunk: 0,
      entries: [],
    };
    const [first] = await queues.addBulk('ingest-entries', [{ data, jobId: 'one-0', delayMs: 3_600_000 }]);
    expect(first).toMatchObject({
      id: 'one-0',
      name: 'ingest-entries',
      data,
      opts: expect.objectContaining(jobRetention),
    });
    expect(await first!.getState()).toBe('delayed');
    const [again] = await queues.addBulk('ingest-entries', [{ data: { ...data, chunk: 5 }, jobId: 'one-0' }]);
    expect(again!.id).toBe('one-0');
    expect((await queues.getJob('ingest-entries', 'one-0'))!.data.chunk).toBe(0);
    const [a, b] = await queues.addBulk('ingest-entries', [
      { data, jobId: 'two-0' },
      { data: { ...data, chunk: 1 }, jobId: 'two-1' },
    ]);
    const { attempts, backoff, removeOnComplete, removeOnFail } = first!.opts;
    expect(a!.opts).toMatchObject({ attempts, backoff, removeOnComplete, removeOnFail, jobId: 'two-0' });
    expect(b!.id).toBe('two-1');
  });

  it('lists and removes the schedulers of one job name, leaving the others of its queue', async () => {
    const schedules: Schedule[] = [
      { name: 'crawl-source', id: 'source-x', repeat: { every: 60_000, startDate: later }, payload: { source: 'x' } },
      { name: 'crawl-source', id: 'source-y', repeat: { pattern: '0 4 * * *', tz: 'UTC' }, payload: { source: 'y' } },
      { name: 'prune-archive', id: 'prune-test', repeat: { pattern: '17 3 * * *' }, payload: {} },
    ];
    expect(await queues.declareSchedules(schedules)).toEqual(['source-x', 'source-y', 'prune-test']);
    expect((await queues.scheduleIds('crawl-source')).sort()).toEqual(['source-x', 'source-y']);
    expect(await queues.missingSchedules(schedules)).toEqual([]);

    expect(await queues.unschedule('crawl-source', 'source-x')).toBe(true);
    expect(await queues.unschedule('crawl-source', 'source-x')).toBe(false);
    expect(await queues.scheduleIds('crawl-source')).toEqual(['source-y']);
    expect(await queues.scheduleIds('prune-archive')).toEqual(['prune-test']);
    expect(await queues.missingSchedules(schedules)).toEqual([schedules[0]]);
    expect(await queues.redeclareMissingSchedules(schedules)).toEqual(['source-x']);
    expect((await queues.scheduleIds('crawl-source')).sort()).toEqual(['source-x', 'source-y']);
  });

  it('looks a job up by its name and id', async () => {
    await queues.add('send-digest', { deliveryId: 7, subscriberId: 3 }, 'send-7');
    const job = await queues.getJob('send-digest', 'send-7');
    expect(job).toMatchObject({ queueName: 'notify', name: 'send-digest', data: { deliveryId: 7, subscriberId: 3 } });
    expect(await queues.getJob('send-digest', 'send-8')).toBeUndefined();
  });
});
