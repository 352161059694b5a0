import { deleteRedisPrefix, requireEnv, testQueuePrefix } from '@paperboy/test-utils';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AcquireResult, HostLimiter, type HostSlot } from './host-limiter.js';

const redisUrl = requireEnv('TEST_REDIS_URL');
const prefix = testQueuePrefix();
let redis: Redis;
let other: Redis;
let hostCount = 0;
/** A host of its own for each test, so tests share no state. */
const newHost = () => `papers-${++hostCount}.example.test`;

/** A clock the test moves by hand: exact waits, no sleeping. */
function fakeClock(start = 1_700_000_000_000) {
  let t = start;
  return {
    now: () => t,
    advance: (ms: number) => {
      t += ms;
    },
  };
}

function granted(result: AcquireResult): HostSlot {
  expect(result.ok).toBe(true);
  return result as HostSlot;
}

beforeAll(() => {
  redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  other = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
});

afterAll(async () => {
  await deleteRedisPrefix(redisUrl, prefix);
  redis?.disconnect();
  other?.disconnect();
});

describe('HostLimiter', () => {
  it('grants at most `concurrency` slots, refuses the next with a wait, and a release frees one', async () => {
    const limiter = new HostLimiter({ redis, prefix });
    const host = newHost();
    const limits = { concurrency: 2, minDelayMs: 0 };
    const a = granted(await limiter.acquire(host, limits));
    granted(await limiter.acquire(host, limits));
    const third = await limiter.acquire(host, limits);
    expect(third).toMatchObject({ ok: false, reason: 'busy' });
    if (third.ok) throw new Error('unreachable');
    expect(third.waitMs).toBeGreaterThan(0);
    expect(third.waitMs).toBeLessThanOrEqual(1000); // a polling hint, not the whole lease
    await a.release();
    await a.release(); // twice is harmless
    granted(await limiter.acquire(host, limits));
    expect(await limiter.acquire(host, limits)).toMatchObject({ ok: false, reason: 'busy' });
  });

  it('keeps minDelayMs between two starts, saying exactly how long is left', async () => {
    const clock = fakeClock();
    const limiter = new HostLimiter({ redis, prefix, now: clock.now });
    const host = newHost();
    const limits = { concurrency: 5, minDelayMs: 5000 };
    await granted(await limiter.acquire(host, limits)).release();
    clock.advance(1200);
    expect(await limiter.acquire(host, limits)).toEqual({ ok: false, reason: 'delay', waitMs: 3800 });
    clock.advance(3799);
    expect(await limiter.acquire(host, limits)).toEqual({ ok: false, reason: 'delay', waitMs: 1 });
    clock.advance(1);
    granted(await limiter.acquire(host, limits));
    expect(await limiter.acquire(host, limits)).toEqual({ ok: false, reason: 'delay', waitMs: 5000 });
  });

  it('keeps minDelayMs on Redis time too (no fake clock), with a wait close to what is left', async () => {
    const limiter = new HostLimiter({ redis, prefix });
    const host = newHost();
    const limits = { concurrency: 5, minDelayMs: 20_000 };
    granted(await limiter.acquire(host, limits));
    const second = await limiter.acquire(host, limits);
    expect(second).toMatchObject({ ok: false, reason: 'delay' });
    if (second.ok) throw new Error('unreachable');
    expect(second.waitMs).toBeGreaterThan(15_000); // a loaded machine may take a few seconds between the calls
    expect(second.waitMs).toBeLessThanOrEqual(20_000);
  });

  it('when busy and within the delay, waits for the longer of the two', async () => {
    const clock = fakeClock();
    const limiter = new HostLimiter({ redis, prefix, now: clock.now });
    const host = newHost();
    granted(await limiter.acquire(host, { concurrency: 1, minDelayMs: 10_000 }));
    clock.advance(2000);
    expect(await limiter.acquire(host, { concurrency: 1, minDelayMs: 10_000 })).toEqual({
      ok: false,
      reason: 'busy',
      waitMs: 8000,
    });
  });

  it('refuses a paused host until the pause ends; a shorter pause does not cut a longer one', async () => {
    const clock = fakeClock();
    const limiter = new HostLimiter({ redis, prefix, now: clock.now });
    const host = newHost();
    const limits = { concurrency: 2, minDelayMs: 0 };
    expect(await limiter.pausedFor(host)).toBe(0);
    await limiter.pause(host, 30_000);
    expect(await limiter.pausedFor(host)).toBe(30_000);
    expect(await limiter.acquire(host, limits)).toEqual({ ok: false, reason: 'paused', waitMs: 30_000 });
    await limiter.pause(host, 1000);
    clock.advance(10_000);
    expect(await limiter.pausedFor(host)).toBe(20_000);
    expect(await limiter.acquire(host, limits)).toEqual({ ok: false, reason: 'paused', waitMs: 20_000 });
    await limiter.pause(host, 45_000); // a longer one extends it
    expect(await limiter.pausedFor(host)).toBe(45_000);
    clock.advance(45_000);
    expect(await limiter.pausedFor(host)).toBe(0);
    granted(await limiter.acquire(host, limits));
    expect(await limiter.pausedFor(newHost())).toBe(0); // other hosts are not affected
  });

  it('pauses on Redis time too', async () => {
    const limiter = new HostLimiter({ redis, prefix });
    const host = newHost();
    await limiter.pause(host, 60_000);
    const left = await limiter.pausedFor(host);
    expect(left).toBeGreaterThan(50_000);
    expect(left).toBeLessThanOrEqual(60_000);
    expect(await limiter.acquire(host, { concurrency: 1, minDelayMs: 0 })).toMatchObject({
      ok: false,
      reason: 'paused',
    });
  });

  it('frees the slot of a holder that crashed once its lease expires', async () => {
    const clock = fakeClock();
    const limiter = new HostLimiter({ redis, prefix, now: clock.now, leaseMs: 120_000 });
    const host = newHost();
    const limits = { concurrency: 1, minDelayMs: 0 };
    granted(await limiter.acquire(host, limits)); // never released: the process "crashed"
    clock.advance(119_500);
    expect(await limiter.acquire(host, limits)).toEqual({ ok: false, reason: 'busy', waitMs: 500 });
    clock.advance(500);
    const next = granted(await limiter.acquire(host, limits));
    await next.release();
    granted(await limiter.acquire(host, limits));
  });

  it('expires a lease on Redis time too', async () => {
    const limiter = new HostLimiter({ redis, prefix, leaseMs: 300 });
    const host = newHost();
    const limits = { concurrency: 1, minDelayMs: 0 };
    const started = Date.now();
    granted(await limiter.acquire(host, limits)); // never released
    let result = await limiter.acquire(host, limits);
    while (!result.ok && Date.now() - started < 10_000) {
      expect(result.reason).toBe('busy');
      expect(result.waitMs).toBeLessThanOrEqual(300);
      await new Promise((resolve) => setTimeout(resolve, result.ok ? 0 : result.waitMs));
      result = await limiter.acquire(host, limits);
    }
    expect(result.ok).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  });

  it('a late release does not free a slot someone else took after the lease expired', async () => {
    const clock = fakeClock();
    const limiter = new HostLimiter({ redis, prefix, now: clock.now, leaseMs: 1000 });
    const host = newHost();
    const limits = { concurrency: 1, minDelayMs: 0 };
    const slow = granted(await limiter.acquire(host, limits));
    clock.advance(1000);
    granted(await limiter.acquire(host, limits));
    await slow.release();
    expect(await limiter.acquire(host, limits)).toMatchObject({ ok: false, reason: 'busy' });
  });

  it('shares slots, delays and pauses between two connections, as two processes would', async () => {
    const first = new HostLimiter({ redis, prefix });
    const second = new HostLimiter({ redis: other, prefix });
    const host = newHost();
    const limits = { concurrency: 1, minDelayMs: 0 };
    const slot = granted(await first.acquire(host, limits));
    expect(await second.acquire(host, limits)).toMatchObject({ ok: false, reason: 'busy' });
    await slot.release();
    const theirs = granted(await second.acquire(host, limits));
    expect(await first.acquire(host, limits)).toMatchObject({ ok: false, reason: 'busy' });
    await theirs.release();

    await second.pause(host, 60_000);
    expect(await first.pausedFor(host)).toBeGreaterThan(50_000);
    expect(await first.acquire(host, limits)).toMatchObject({ ok: false, reason: 'paused' });

    const delayed = newHost();
    granted(await first.acquire(delayed, { concurrency: 3, minDelayMs: 30_000 }));
    expect(await second.acquire(delayed, { concurrency: 3, minDelayMs: 30_000 })).toMatchObject({
      ok: false,
      reason: 'delay',
    });
  });

  it('never grants more than `concurrency` under a race of many acquires from both connections', async () => {
    const limiters = [new HostLimiter({ redis, prefix }), new HostLimiter({ redis: other, prefix })];
    const host = newHost();
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) => limiters[i % 2]!.acquire(host, { concurrency: 3, minDelayMs: 0 })),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(3);
    expect(results.filter((r) => !r.ok).every((r) => !r.ok && r.reason === 'busy')).toBe(true);
  });

  it('treats host names case-insensitively and keeps hosts apart', async () => {
    const limiter = new HostLimiter({ redis, prefix });
    const host = newHost();
    granted(await limiter.acquire(host.toUpperCase(), { concurrency: 1, minDelayMs: 0 }));
    expect(await limiter.acquire(`${host}.`, { concurrency: 1, minDelayMs: 0 })).toMatchObject({
      ok: false,
      reason: 'busy',
    });
    granted(await limiter.acquire(newHost(), { concurrency: 1, minDelayMs: 0 }));
  });

  it('rejects nonsensical limits', async () => {
    const limiter = new HostLimiter({ redis, prefix });
    await expect(limiter.acquire(newHost(), { concurrency: 0, minDelayMs: 0 })).rejects.toThrow(RangeError);
    await expect(limiter.acquire(newHost(), { concurrency: 1, minDelayMs: -1 })).rejects.toThrow(RangeError);
    await expect(limiter.acquire('', { concurrency: 1, minDelayMs: 0 })).rejects.toThrow(RangeError);
  });
});
