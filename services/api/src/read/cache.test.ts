import { describe, expect, it } from 'vitest';
import { AnswerCache, type CachedAnswer } from './cache.js';

const answer = (payload: string, status = 200): CachedAnswer => ({ status, contentType: 'text/plain', payload });

describe('AnswerCache', () => {
  it('serves an answer for the TTL, serves it while one request recomputes it, then waits for a fresh one', async () => {
    let clock = 0;
    const cache = new AnswerCache(1000, 10, () => clock);
    let computed = 0;
    const compute = async () => ({ answer: answer(`v${++computed}`), cache: true });
    expect((await cache.get('k', compute)).payload).toBe('v1');
    clock = 999;
    expect((await cache.get('k', compute)).payload).toBe('v1');
    expect(computed).toBe(1);
    // Past the TTL: the old answer, while v2 is computed once for every concurrent request.
    clock = 1500;
    const [a, b] = await Promise.all([cache.get('k', compute), cache.get('k', compute)]);
    expect([a.payload, b.payload]).toEqual(['v1', 'v1']);
    await new Promise((r) => setTimeout(r, 0));
    expect(computed).toBe(2);
    expect((await cache.get('k', compute)).payload).toBe('v2');
    // Older than twice the TTL (v2 was computed at 1500): never served, the request waits for v3.
    clock = 3500;
    expect((await cache.get('k', compute)).payload).toBe('v3');
  });

  it('computes once for concurrent misses, and keeps nothing that is not to be cached', async () => {
    const cache = new AnswerCache(1000);
    let computed = 0;
    const slow = async () => {
      computed++;
      await new Promise((r) => setTimeout(r, 20));
      return { answer: answer('refused', 400), cache: false };
    };
    const answers = await Promise.all([cache.get('bad', slow), cache.get('bad', slow), cache.get('bad', slow)]);
    expect(answers.map((a) => a.status)).toEqual([400, 400, 400]);
    expect(computed).toBe(1);
    expect(cache.size).toBe(0);
    await cache.get('bad', slow);
    expect(computed).toBe(2);
  });

  it('passes a failed computation to every waiting request and caches nothing, so the next one retries', async () => {
    const cache = new AnswerCache(1000);
    let calls = 0;
    const failing = async () => {
      calls++;
      throw new Error('database down');
    };
    const results = await Promise.allSettled([cache.get('k', failing), cache.get('k', failing)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(calls).toBe(1);
    expect(cache.size).toBe(0);
    expect((await cache.get('k', async () => ({ answer: answer('ok'), cache: true }))).payload).toBe('ok');
  });

  it('a failed background recomputation keeps serving the old answer until it is too old, then the error surfaces', async () => {
    let clock = 0;
    const cache = new AnswerCache(1000, 10, () => clock);
    await cache.get('k', async () => ({ answer: answer('old'), cache: true }));
    clock = 1200;
    const failing = async () => {
      throw new Error('database down');
    };
    expect((await cache.get('k', failing)).payload).toBe('old');
    await new Promise((r) => setTimeout(r, 0));
    clock = 2100;
    await expect(cache.get('k', failing)).rejects.toThrow('database down');
  });

  it('holds at most maxEntries answers, dropping the least recently used', async () => {
    const cache = new AnswerCache(60_000, 2);
    const value = (v: string) => async () => ({ answer: answer(v), cache: true });
    await cache.get('a', value('a'));
    await cache.get('b', value('b'));
    await cache.get('a', value('a2')); // a used again: b is now the least recent
    await cache.get('c', value('c'));
    expect(cache.size).toBe(2);
    expect((await cache.get('a', value('a3'))).payload).toBe('a');
    expect((await cache.get('b', value('b2'))).payload).toBe('b2');
  });

  it('with a TTL of 0 computes every time', async () => {
    const cache = new AnswerCache(0);
    let computed = 0;
    const compute = async () => ({ answer: answer(`v${++computed}`), cache: true });
    await cache.get('k', compute);
    expect((await cache.get('k', compute)).payload).toBe('v2');
    expect(cache.size).toBe(0);
  });
});
