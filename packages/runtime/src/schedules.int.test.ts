import { loadConfig } from '@paperboy/config';
import { createLogger } from '@paperboy/logger';
import { createRedis, Queues, type RedisClient, type Schedule } from '@paperboy/queue';
import { type PrivateRedis, startPrivateRedis, testQueuePrefix } from '@paperboy/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lifecycle } from './index.js';
import { keepSchedules, ScheduleKeeper } from './schedules.js';

// Two "processes" (each its own connection, queues and keeper) against a private Redis that the
// tests flush and restart: what an emptied Redis looks like to every running process.

let server: PrivateRedis;
const prefix = testQueuePrefix();

interface Process {
  redis: RedisClient;
  queues: Queues;
  schedules: Schedule[];
  keeper: ScheduleKeeper;
  log: Array<{ level: number; msg: string; schedules?: string[] }>;
}
const processes: Process[] = [];

function startProcess(intervalMs: number): Process {
  const redis = createRedis(server.url, 'producer');
  const queues = new Queues(redis, { prefix, fetchAttempts: 1 });
  const schedules: Schedule[] = [
    { name: 'crawl-source', id: 'source-a', repeat: { every: 3_600_000 }, payload: { source: 'a' } },
    { name: 'crawl-source', id: 'source-b', repeat: { pattern: '15 1 * * 1-5', tz: 'UTC' }, payload: { source: 'b' } },
    { name: 'plan-digests', id: 'digest-planner-daily', repeat: { every: 900_000 }, payload: { frequency: 'daily' } },
  ];
  const log: Process['log'] = [];
  const logger = createLogger({
    level: 'info',
    name: 'test',
    stream: { write: (line: string) => log.push(JSON.parse(line)) },
  });
  const keeper = new ScheduleKeeper(schedules, { logger, queues, redis, intervalMs });
  const process = { redis, queues, schedules, keeper, log };
  processes.push(process);
  return process;
}

/** Every scheduler as queue/id, and how many jobs each has waiting for its next run. */
async function state(queues: Queues) {
  const ids: string[] = [];
  const next: Record<string, number> = {};
  for (const name of ['crawl', 'planning'] as const) {
    for (const s of await queues.get(name).getJobSchedulers(0, -1)) ids.push(`${name}/${s.key}`);
    for (const job of await queues.get(name).getJobs(['wait', 'delayed', 'prioritized'])) {
      const key = `${name}/${job.repeatJobKey}`;
      next[key] = (next[key] ?? 0) + 1;
    }
  }
  return { ids: ids.sort(), next };
}
const EXPECTED = {
  ids: ['crawl/source-a', 'crawl/source-b', 'planning/digest-planner-daily'],
  next: { 'crawl/source-a': 1, 'crawl/source-b': 1, 'planning/digest-planner-daily': 1 },
};
const warnings = (p: Process) =>
  p.log
    .filter((line) => line.level >= 40)
    .map((line) => ({ msg: line.msg, schedules: line.schedules?.slice().sort() }));

beforeAll(async () => {
  server = await startPrivateRedis();
});
afterAll(async () => {
  for (const p of processes) {
    await p.keeper.close();
    await p.queues.close();
    p.redis.disconnect();
  }
  await server?.close();
});

describe('ScheduleKeeper', () => {
  it('re-declares what a FLUSHALL removed, from two processes at once: each scheduler once, with one next job', async () => {
    const [one, two] = [startProcess(3_600_000), startProcess(3_600_000)];
    await one.queues.declareSchedules(one.schedules);
    const nextRunOf = async () => (await one.queues.get('crawl').getJobScheduler('source-b'))?.next;
    const nextRun = await nextRunOf();

    expect(await Promise.all([one.keeper.check(), two.keeper.check()])).toEqual([[], []]); // present: left alone
    expect(await nextRunOf()).toBe(nextRun);
    expect(warnings(one)).toEqual([]);

    await server.flushAll();
    const [a, b] = await Promise.all([one.keeper.check(), two.keeper.check()]);
    expect(a.sort()).toEqual(['digest-planner-daily', 'source-a', 'source-b']);
    expect(b.sort()).toEqual(['digest-planner-daily', 'source-a', 'source-b']);
    expect(await state(one.queues)).toEqual(EXPECTED);
    expect(warnings(one)).toEqual([
      {
        msg: '3 schedules were missing from Redis: re-declared',
        schedules: ['digest-planner-daily', 'source-a', 'source-b'],
      },
    ]);

    expect(await one.keeper.check()).toEqual([]); // healed: said once
    expect(warnings(one)).toHaveLength(1);
  });

  it('checks every interval once running, and on reconnect (and every few seconds while Redis is down); Redis down is said once and nothing throws', async () => {
    const p = startProcess(300);
    void p.keeper.run();
    await server.flushAll();
    await poll(async () => (await state(p.queues)).ids.length === 3, 'the periodic check to re-declare');
    expect(await state(p.queues)).toEqual(EXPECTED);

    await p.keeper.close();
    const onReconnect = startProcess(3_600_000); // only a reconnect can trigger it
    await onReconnect.redis.ping();
    void onReconnect.keeper.run();
    await server.kill();
    expect(await onReconnect.keeper.check()).toEqual([]); // Redis down: no throw
    expect(await onReconnect.keeper.check()).toEqual([]);
    expect(warnings(onReconnect)).toEqual([
      {
        msg: 'cannot check the job schedules in Redis: checked again every few seconds until it can',
        schedules: undefined,
      },
    ]);
    await server.restart({ aof: false });
    await poll(async () => (await state(onReconnect.queues)).ids.length === 3, 'the reconnect to re-declare');
    expect(await state(onReconnect.queues)).toEqual(EXPECTED);
    expect(warnings(onReconnect).map((w) => w.msg)).toEqual([
      'cannot check the job schedules in Redis: checked again every few seconds until it can',
      '3 schedules were missing from Redis: re-declared',
    ]);
  });

  it('keepSchedules: nothing with PAPERBOY_SCHEDULES=0; otherwise a worker of the lifecycle, stopped with it', async () => {
    const p = startProcess(3_600_000);
    const lifecycle = new Lifecycle(createLogger({ level: 'silent' }), 1000);
    const ctx = { logger: createLogger({ level: 'silent' }), queues: p.queues, producerRedis: p.redis, lifecycle };
    expect(keepSchedules({ ...ctx, config: loadConfig({ PAPERBOY_SCHEDULES: '0' }) }, p.schedules)).toBeNull();
    const keeper = keepSchedules({ ...ctx, config: loadConfig({ PAPERBOY_SCHEDULE_CHECK_SECONDS: '1' }) }, p.schedules);
    expect(keeper).toBeInstanceOf(ScheduleKeeper);
    lifecycle.start();
    await server.flushAll();
    await poll(async () => (await state(p.queues)).ids.length === 3, 'the 1 s check to re-declare');
    expect(await state(p.queues)).toEqual(EXPECTED);
    const listening = p.redis.listenerCount('ready');
    await lifecycle.stopWorkers(); // the keeper stops with the workers, before queues and connections close
    expect(p.redis.listenerCount('ready')).toBe(listening - 1); // no more checks on reconnect
  });
});

async function poll(check: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    // An attempt caught by Redis going away may never settle: bounded, so the poll goes on.
    const attempt = Promise.race([
      check().catch(() => false),
      new Promise<boolean>((r) => setTimeout(() => r(false), 2000)),
    ]);
    if (await attempt) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}
