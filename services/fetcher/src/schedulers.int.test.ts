import { createRedis, Queues } from '@paperboy/queue';
import { parseSourcesFile } from '@paperboy/sources-file';
import { deleteRedisPrefix, requireEnv, testQueuePrefix } from '@paperboy/test-utils';
import { afterAll, describe, expect, it } from 'vitest';
import { PRUNE_SCHEDULER, RECONCILE_SCHEDULER, syncSchedulers } from './schedulers.js';

const prefix = testQueuePrefix();
const redis = createRedis(requireEnv('TEST_REDIS_URL'), 'producer');
const queues = new Queues(redis, { prefix, fetchAttempts: 1 });

afterAll(async () => {
  await queues.close();
  redis.disconnect();
  await deleteRedisPrefix(requireEnv('TEST_REDIS_URL'), prefix);
});

const file = (entries: string) => parseSourcesFile(`sources:\n${entries}`, 'test.yaml');
const a = '  - { id: a, adapter: hf-api, url: "https://huggingface.co/api/daily_papers", schedule: { every: 30m } }\n';
const b = (enabled: boolean) =>
  `  - { id: b, adapter: arxiv-list, url: "https://arxiv.org/list/cs.LG/new", schedule: { cron: "15 1 * * 1-5", tz: UTC }, enabled: ${enabled} }\n`;

const schedulers = async () =>
  (await queues.get('crawl').getJobSchedulers(0, -1))
    .map((s) => ({ key: s.key, every: s.every ?? null, pattern: s.pattern ?? null }))
    .sort((x, y) => x.key.localeCompare(y.key));

describe('syncSchedulers', () => {
  it('declares one scheduler per enabled source, idempotently, even from several processes at once', async () => {
    await Promise.all([syncSchedulers(queues, file(a + b(true))), syncSchedulers(queues, file(a + b(true)))]);
    await syncSchedulers(queues, file(a + b(true)));
    expect(await schedulers()).toEqual([
      { key: PRUNE_SCHEDULER, every: null, pattern: '17 3 * * *' },
      { key: RECONCILE_SCHEDULER, every: 300_000, pattern: null },
      { key: 'source-a', every: 1_800_000, pattern: null },
      { key: 'source-b', every: null, pattern: '15 1 * * 1-5' },
    ]);
  });

  it('removes the schedulers of disabled and removed sources', async () => {
    const result = await syncSchedulers(queues, file(b(false)));
    expect(result.removed.sort()).toEqual(['source-a', 'source-b']);
    expect((await schedulers()).map((s) => s.key)).toEqual([PRUNE_SCHEDULER, RECONCILE_SCHEDULER]);
  });
});
