import { describe, expect, it } from 'vitest';
import { retryDelayMs } from './backoff.js';
import { sendInOrder } from './in-order.js';

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('sendInOrder', () => {
  it('keeps each key in order while different keys go in parallel, up to the concurrency', async () => {
    const events = Array.from({ length: 60 }, (_, i) => ({ i, key: `paper-${i % 6}` }));
    const started: number[] = [];
    let inFlight = 0;
    let most = 0;
    const result = await sendInOrder(events, {
      concurrency: 4,
      keyOf: (e) => e.key,
      send: async (e) => {
        started.push(e.i);
        most = Math.max(most, ++inFlight);
        await pause(Math.random() * 5);
        inFlight--;
        return true;
      },
    });
    expect(result).toEqual({ prefix: 60, accepted: 60, failed: 0 });
    expect(most).toBe(4);
    for (let k = 0; k < 6; k++) {
      const order = started.filter((i) => i % 6 === k);
      expect(order).toEqual([...order].sort((a, b) => a - b));
    }
  });

  it('starts nothing after a failure and counts only the accepted run from the start', async () => {
    const events = ['a', 'b', 'c', 'd', 'e', 'f'].map((key, i) => ({ i, key }));
    const sent: number[] = [];
    const result = await sendInOrder(events, {
      concurrency: 2,
      keyOf: (e) => e.key,
      send: async (e) => {
        sent.push(e.i);
        await pause(e.i === 1 ? 1 : 10);
        return e.i !== 1;
      },
    });
    // 0 and 1 start together; 1 fails first, so 2.. never start; 0 still finishes (accepted).
    expect(sent).toEqual([0, 1]);
    expect(result).toEqual({ prefix: 1, accepted: 1, failed: 1 });
  });

  it('does not start the next event of a key whose event is in flight, even with free slots', async () => {
    const events = [0, 1, 2].map((i) => ({ i, key: 'one-paper' }));
    let inFlight = 0;
    let most = 0;
    await sendInOrder(events, {
      concurrency: 8,
      keyOf: (e) => e.key,
      send: async () => {
        most = Math.max(most, ++inFlight);
        await pause(2);
        inFlight--;
        return true;
      },
    });
    expect(most).toBe(1);
  });
});

describe('retryDelayMs', () => {
  it('doubles per failure up to the cap, with jitter in the upper half, the same every time it is computed', () => {
    for (const failures of [1, 2, 3, 4, 5, 6, 7, 8, 20]) {
      const ceiling = Math.min(3_600_000, 10_000 * 2 ** (failures - 1));
      const wait = retryDelayMs(42, failures, 10_000, 3_600_000);
      expect(wait).toBeGreaterThanOrEqual(ceiling / 2);
      expect(wait).toBeLessThan(ceiling);
      expect(retryDelayMs(42, failures, 10_000, 3_600_000)).toBe(wait);
    }
    // Different endpoints that failed together do not retry together.
    const waits = new Set(Array.from({ length: 20 }, (_, id) => retryDelayMs(id, 3, 10_000, 3_600_000)));
    expect(waits.size).toBeGreaterThan(15);
  });
});
