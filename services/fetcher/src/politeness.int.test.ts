import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type FetchSettings, RobotsCache } from '@paperboy/http';
import { testEnvironment } from '@paperboy/test-utils';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RobotsMemo } from './politeness.js';

const testEnv = testEnvironment();
const { prefix, redisUrl } = testEnv;
let redis: Redis;
let server: Server;
let origin: string;
/** What the server answers for /robots.txt (null: 503), and how often it was asked. */
let robotsTxt: string | null = 'User-agent: *\nDisallow: /private\n';
let robotsRequests = 0;

const fetch: FetchSettings = {
  userAgent: 'paperboy/0.1 (+https://example.org/paperboy)',
  timeoutMs: 5000,
  maxBytes: 1024 * 1024,
  maxRedirects: 5,
  allowPrivate: true,
  accept: '*/*',
  conditional: null,
};

beforeAll(async () => {
  redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  server = createServer((req, res) => {
    if (req.url !== '/robots.txt') return res.writeHead(404).end();
    robotsRequests++;
    if (robotsTxt === null) return res.writeHead(503).end();
    res.writeHead(200, { 'content-type': 'text/plain' }).end(robotsTxt);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  const keys = await redis.keys(`${prefix}:memo*`);
  if (keys.length) await redis.del(...keys);
  redis?.disconnect();
});

/** The shared cache with a short TTL (so its entry expires within the test) behind a memo on a fake clock. */
function gates(name: string, ttlMs: number) {
  let now = 1_000_000;
  const shared = new RobotsCache({ redis, prefix: `${prefix}:memo-${name}`, fetch, ttlMs: 50, unreachableTtlMs: 50 });
  let sharedCalls = 0;
  const counted = {
    isAllowed: (url: string, o?: { recheckUnreachable?: boolean }) => {
      sharedCalls++;
      return shared.isAllowed(url, o);
    },
  };
  const memo = new RobotsMemo(counted, { ttlMs, now: () => now });
  return { memo, advance: (ms: number) => (now += ms), sharedCalls: () => sharedCalls };
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('RobotsMemo', () => {
  it('answers a page again from memory until its TTL, then honours a changed robots.txt', async () => {
    robotsTxt = 'User-agent: *\nDisallow: /private\nCrawl-delay: 2\n';
    const { memo, advance, sharedCalls } = gates('change', 1000);
    const page = `${origin}/papers`;
    expect(await memo.isAllowed(page)).toEqual({ allowed: true, crawlDelayMs: 2000 });
    expect(await memo.isAllowed(`${origin}/private/x`)).toEqual({ allowed: false, crawlDelayMs: 2000 });
    expect(sharedCalls()).toBe(2);

    // The site now disallows everything, and the shared entry (50 ms) has expired.
    robotsTxt = 'User-agent: *\nDisallow: /\n';
    await pause(120);
    advance(999);
    expect(await memo.isAllowed(page)).toEqual({ allowed: true, crawlDelayMs: 2000 });
    expect(sharedCalls()).toBe(2); // from memory: nothing asked of Redis or the site

    advance(2);
    const before = robotsRequests;
    expect(await memo.isAllowed(page)).toEqual({ allowed: false });
    expect(robotsRequests).toBe(before + 1);
    expect(sharedCalls()).toBe(3);
  });

  it('never remembers "unreachable": every check (and a retry\'s recheck) asks again', async () => {
    robotsTxt = null;
    const { memo, sharedCalls } = gates('unreachable', 60_000);
    const page = `${origin}/papers`;
    const first = await memo.isAllowed(page);
    expect(first.allowed).toBe(false);
    expect(first.unreachable).toMatch(/503/);
    robotsTxt = 'User-agent: *\nAllow: /\n';
    expect(await memo.isAllowed(page, { recheckUnreachable: true })).toEqual({ allowed: true });
    expect(sharedCalls()).toBe(2);
    // Now allowed by the rules: remembered.
    expect(await memo.isAllowed(page)).toEqual({ allowed: true });
    expect(sharedCalls()).toBe(2);
  });

  it('passes errors through and remembers nothing of them', async () => {
    let calls = 0;
    const failing = {
      isAllowed: async () => {
        calls++;
        throw new Error('blocked address');
      },
    };
    const memo = new RobotsMemo(failing);
    await expect(memo.isAllowed(`${origin}/a`)).rejects.toThrow('blocked address');
    await expect(memo.isAllowed(`${origin}/a`)).rejects.toThrow('blocked address');
    expect(calls).toBe(2);
  });

  it('keeps at most maxEntries verdicts, dropping the oldest', async () => {
    let calls = 0;
    const counting = {
      isAllowed: async () => {
        calls++;
        return { allowed: true };
      },
    };
    const memo = new RobotsMemo(counting, { maxEntries: 2 });
    for (const p of ['a', 'b', 'c']) await memo.isAllowed(`${origin}/${p}`);
    await memo.isAllowed(`${origin}/c`);
    expect(calls).toBe(3);
    await memo.isAllowed(`${origin}/a`);
    expect(calls).toBe(4);
  });
});
