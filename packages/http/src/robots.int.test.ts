import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { deleteRedisPrefix, requireEnv, testQueuePrefix } from '@paperboy/test-utils';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FetchSettings } from './fetch-page.js';
import { RobotsCache } from './robots.js';

const redisUrl = requireEnv('TEST_REDIS_URL');
const prefix = testQueuePrefix();
let server: Server;
let port: number;
let closedPort: number;
let redis: Redis;
let other: Redis;
/** Requests received, by `host/path`. */
const hits = new Map<string, number>();
const hitsOf = (host: string) => hits.get(`${host}/robots.txt`) ?? 0;

const RULES = [
  'User-agent: *',
  'Disallow: /',
  '',
  'User-agent: PaperBoy',
  'Disallow: /private',
  'Allow: /private/open',
  'Disallow: /*.pdf$',
  'Crawl-delay: 3',
].join('\n');

/** One server; the site is chosen by the Host header, every name resolving to 127.0.0.1. */
const sites: Record<
  string,
  (path: string) => { status: number; body?: string | Buffer; headers?: Record<string, string> }
> = {
  'rules.test': () => ({ status: 200, body: RULES, headers: { 'content-type': 'text/plain' } }),
  'cached.test': () => ({ status: 200, body: RULES, headers: { 'content-type': 'text/plain' } }),
  'missing.test': () => ({ status: 404, body: 'not found' }),
  'gone.test': () => ({ status: 410 }),
  'broken.test': () => ({ status: 500, body: 'oops' }),
  'throttled.test': () => ({ status: 429, headers: { 'retry-after': '30' } }),
  'moved.test': (path) =>
    path === '/robots.txt'
      ? { status: 301, headers: { location: '/new/robots.txt' } }
      : { status: 200, body: 'User-agent: *\nDisallow: /moved-away\n' },
  'elsewhere.test': () => ({ status: 302, headers: { location: `http://rules.test:${port}/robots.txt` } }),
  'loop.test': (path) => ({ status: 302, headers: { location: `/hop${Number(path.replace(/\D/g, '') || 0) + 1}` } }),
  'huge.test': () => ({
    status: 200,
    // The rule past 500 KiB is not read; the line cut in two is dropped, not half-obeyed.
    body: `User-agent: *\nDisallow: /early\n${`# ${'x'.repeat(1000)}\n`.repeat(520)}Disallow: /late\n`,
  }),
  // 30 bytes of rules, padding, then a line the 500 KiB limit (512,000 bytes) cuts after "Disallow: /a".
  'cut.test': () => ({
    status: 200,
    body: `User-agent: *\nDisallow: /early\n${'#'.repeat(512_000 - 30 - 1 - 12)}\nDisallow: /a-long-path-cut-in-two\n`,
  }),
  'slow.test': () => ({ status: 200, body: RULES }),
  'raced.test': () => ({ status: 200, body: RULES }),
  'private.test': () => ({ status: 404 }),
};

const resolveToLoopback = ((
  _host: string,
  _options: unknown,
  callback: (e: null, a: Array<{ address: string; family: number }>) => void,
) => callback(null, [{ address: '127.0.0.1', family: 4 }])) as unknown as FetchSettings['dnsLookup'];

const fetchSettings: FetchSettings = {
  userAgent: 'paperboy/0.1 (+https://example.org/paperboy)',
  timeoutMs: 5000,
  maxBytes: 5 * 1024 * 1024,
  maxRedirects: 10,
  allowPrivate: true,
  dnsLookup: resolveToLoopback,
};

function cache(options: Partial<ConstructorParameters<typeof RobotsCache>[0]> = {}): RobotsCache {
  return new RobotsCache({ redis, prefix, fetch: fetchSettings, ...options });
}

const at = (host: string, path: string, p = port) => `http://${host}:${p}${path}`;

beforeAll(async () => {
  server = createServer((req, res) => {
    const host = (req.headers.host ?? '').replace(/:\d+$/, '');
    const path = req.url ?? '/';
    hits.set(`${host}${path}`, (hits.get(`${host}${path}`) ?? 0) + 1);
    const site = sites[host];
    if (!site) return void res.writeHead(404).end();
    const answer = site(path);
    res.writeHead(answer.status, answer.headers ?? {}).end(answer.body ?? '');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  closedPort = (closed.address() as AddressInfo).port;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  other = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
});

afterAll(async () => {
  server?.closeAllConnections();
  server?.close();
  await deleteRedisPrefix(redisUrl, prefix);
  redis?.disconnect();
  other?.disconnect();
});

describe('RobotsCache', () => {
  it('refuses a disallowed path, allows an allowed one, and reports Crawl-delay', async () => {
    const robots = cache();
    expect(await robots.isAllowed(at('rules.test', '/private/notes'))).toEqual({ allowed: false, crawlDelayMs: 3000 });
    expect(await robots.isAllowed(at('rules.test', '/private/open/paper'))).toEqual({
      allowed: true,
      crawlDelayMs: 3000,
    });
    expect(await robots.isAllowed(at('rules.test', '/papers/trending'))).toEqual({ allowed: true, crawlDelayMs: 3000 });
  });

  it('applies * and $ wildcards', async () => {
    const robots = cache();
    expect((await robots.isAllowed(at('rules.test', '/papers/2401.00001.pdf'))).allowed).toBe(false);
    expect((await robots.isAllowed(at('rules.test', '/papers/2401.00001.pdf?v=2'))).allowed).toBe(true);
    expect((await robots.isAllowed(at('rules.test', '/papers/2401.00001.pdf.html'))).allowed).toBe(true);
  });

  it('matches the group by the product token of our User-Agent; others fall back to *', async () => {
    const otherBot = new RobotsCache({
      redis,
      prefix: `${prefix}-otherbot`,
      fetch: { ...fetchSettings, userAgent: 'otherbot/1.0' },
    });
    try {
      expect((await otherBot.isAllowed(at('rules.test', '/papers/trending'))).allowed).toBe(false);
    } finally {
      await deleteRedisPrefix(redisUrl, `${prefix}-otherbot`);
    }
  });

  it('serves the second call from the cache: one request to the server', async () => {
    const robots = cache();
    expect((await robots.isAllowed(at('cached.test', '/a'))).allowed).toBe(true);
    expect(hitsOf('cached.test')).toBe(1);
    expect((await robots.isAllowed(at('cached.test', '/private/b'))).allowed).toBe(false);
    expect((await cache().isAllowed(at('cached.test', '/c'))).allowed).toBe(true); // a new instance: Redis, not memory
    expect(hitsOf('cached.test')).toBe(1);
  });

  it('shares the cache between instances on separate connections (as separate processes)', async () => {
    const first = new RobotsCache({ redis, prefix, fetch: fetchSettings });
    const second = new RobotsCache({ redis: other, prefix, fetch: fetchSettings });
    expect((await first.isAllowed(at('moved.test', '/moved-away/x'))).allowed).toBe(false);
    expect((await second.isAllowed(at('moved.test', '/moved-away/y'))).allowed).toBe(false);
    expect((await second.isAllowed(at('moved.test', '/fine'))).allowed).toBe(true);
    expect(hitsOf('moved.test')).toBe(1);
  });

  it('stores the raw text and the fetch status in Redis, for a day', async () => {
    await cache().isAllowed(at('rules.test', '/x'));
    const key = `${prefix}:robots:http://rules.test:${port}`;
    const stored = await redis.hgetall(key);
    expect(stored).toMatchObject({ outcome: 'ok', status: '200', body: RULES });
    const ttl = await redis.pttl(key);
    expect(ttl).toBeGreaterThan(23 * 3600_000);
    expect(ttl).toBeLessThanOrEqual(24 * 3600_000);
  });

  it('follows redirects, across hosts too', async () => {
    expect((await cache().isAllowed(at('moved.test', '/moved-away'))).allowed).toBe(false);
    // elsewhere.test's robots.txt redirects to rules.test's: its rules (and Crawl-delay) apply.
    expect(await cache().isAllowed(at('elsewhere.test', '/private/x'))).toEqual({ allowed: false, crawlDelayMs: 3000 });
    expect(hitsOf('elsewhere.test')).toBe(1);
  });

  it('treats more than five redirects as "no robots.txt": everything allowed', async () => {
    expect(await cache().isAllowed(at('loop.test', '/anything'))).toEqual({ allowed: true });
    expect(hits.get('loop.test/hop5')).toBe(1);
    expect(hits.get('loop.test/hop6')).toBeUndefined();
  });

  it('allows everything on a 404 or other 4xx', async () => {
    expect(await cache().isAllowed(at('missing.test', '/anything'))).toEqual({ allowed: true });
    expect(await cache().isAllowed(at('gone.test', '/anything'))).toEqual({ allowed: true });
    expect(await cache().isAllowed(at('missing.test', '/other'))).toEqual({ allowed: true });
    expect(hitsOf('missing.test')).toBe(1);
  });

  it('disallows everything on a 5xx, says why, and caches that for under a minute', async () => {
    const unreachable = { allowed: false, unreachable: `HTTP 500 from http://broken.test:${port}/robots.txt` };
    expect(await cache().isAllowed(at('broken.test', '/anything'))).toEqual(unreachable);
    // From the cache, in this process and another, the same answer.
    expect(await cache().isAllowed(at('broken.test', '/other'))).toEqual(unreachable);
    expect(
      await new RobotsCache({ redis: other, prefix, fetch: fetchSettings }).isAllowed(at('broken.test', '/other')),
    ).toEqual(unreachable);
    expect(hitsOf('broken.test')).toBe(1);
    const key = `${prefix}:robots:http://broken.test:${port}`;
    expect(await redis.hget(key, 'outcome')).toBe('unreachable');
    expect(await redis.hget(key, 'status')).toBe('500');
    const ttl = await redis.pttl(key);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });

  it('reads an unreachable robots.txt again when asked to (a retried page), and only then', async () => {
    const robots = cache({ prefix: `${prefix}-recheck` });
    try {
      await robots.isAllowed(at('broken.test', '/a'));
      const before = hitsOf('broken.test');
      await robots.isAllowed(at('broken.test', '/b'));
      expect(hitsOf('broken.test')).toBe(before);
      expect((await robots.isAllowed(at('broken.test', '/c'), { recheckUnreachable: true })).unreachable).toMatch(
        /HTTP 500/,
      );
      expect(hitsOf('broken.test')).toBe(before + 1);
      // A real robots.txt is not read again for it.
      await robots.isAllowed(at('rules.test', '/a'));
      const rules = hitsOf('rules.test');
      expect(await robots.isAllowed(at('rules.test', '/private'), { recheckUnreachable: true })).toEqual({
        allowed: false,
        crawlDelayMs: 3000,
      });
      expect(hitsOf('rules.test')).toBe(rules);
    } finally {
      await deleteRedisPrefix(redisUrl, `${prefix}-recheck`);
    }
  });

  it('disallows everything on a 429 and when the server cannot be reached, saying why', async () => {
    expect(await cache().isAllowed(at('throttled.test', '/x'))).toEqual({
      allowed: false,
      unreachable: expect.stringMatching(/HTTP 429/),
    });
    expect(await cache().isAllowed(at('closed.test', '/x', closedPort))).toEqual({
      allowed: false,
      unreachable: expect.stringMatching(
        /^network error fetching http:\/\/closed\.test:\d+\/robots\.txt: .*ECONNREFUSED/,
      ),
    });
    expect(await redis.hget(`${prefix}:robots:http://closed.test:${closedPort}`, 'error')).toMatch(/network error/);
  });

  it('throws, and caches nothing, when this process may not fetch robots.txt (a private address)', async () => {
    const strict = cache({ fetch: { ...fetchSettings, allowPrivate: false } });
    const before = hitsOf('private.test');
    await expect(strict.isAllowed(at('private.test', '/x'))).rejects.toThrow(
      /refusing to fetch private\.test.*PAPERBOY_FETCH_ALLOW_PRIVATE=1/,
    );
    expect(hitsOf('private.test')).toBe(before);
    expect(await redis.exists(`${prefix}:robots:http://private.test:${port}`)).toBe(0);
    // A process that may fetch it is not held back by the other's refusal.
    expect(await cache().isAllowed(at('private.test', '/x'))).toEqual({ allowed: true });
  });

  it('reads only the first 500 KiB and drops the line cut in two', async () => {
    const robots = cache();
    expect((await robots.isAllowed(at('huge.test', '/early/x'))).allowed).toBe(false);
    expect((await robots.isAllowed(at('huge.test', '/late/x'))).allowed).toBe(true);
    expect((await robots.isAllowed(at('cut.test', '/early'))).allowed).toBe(false);
    expect((await robots.isAllowed(at('cut.test', '/a'))).allowed).toBe(true);
    expect((await redis.hget(`${prefix}:robots:http://huge.test:${port}`, 'body'))!.length).toBeLessThanOrEqual(
      500 * 1024,
    );
  });

  it('fetches once for many concurrent questions about a new site', async () => {
    const robots = cache();
    const verdicts = await Promise.all(
      Array.from({ length: 8 }, (_, i) => robots.isAllowed(at('slow.test', `/private/${i}`))),
    );
    expect(verdicts.every((v) => !v.allowed)).toBe(true);
    expect(hitsOf('slow.test')).toBe(1);
  });

  it('takes the entry another process stored between its two reads, instead of fetching robots.txt again', async () => {
    // Process B stores an entry; process A (nothing parsed yet) reads its version; B replaces it
    // (its own entry expired and it fetched again) before A reads the body. A takes B's new
    // entry: the site sees B's two fetches and none from A.
    const b = new RobotsCache({ redis: other, prefix, fetch: fetchSettings });
    await b.isAllowed(at('raced.test', '/x'));
    expect(hitsOf('raced.test')).toBe(1);
    const key = `${prefix}:robots:http://raced.test:${port}`;
    let replaced = false;
    const racing = new Proxy(redis, {
      get(target, name, receiver) {
        if (name !== 'hmget') return Reflect.get(target, name, receiver);
        return async (...args: Parameters<Redis['hmget']>) => {
          const answer = await target.hmget(...args);
          if (!replaced) {
            replaced = true;
            await other.del(key);
            await b.isAllowed(at('raced.test', '/y'));
          }
          return answer;
        };
      },
    });
    const a = new RobotsCache({ redis: racing, prefix, fetch: fetchSettings });
    expect(await a.isAllowed(at('raced.test', '/private/z'))).toEqual({ allowed: false, crawlDelayMs: 3000 });
    expect(replaced).toBe(true);
    expect(hitsOf('raced.test')).toBe(2);
  });

  it('fetches again once the entry has expired', async () => {
    const robots = cache({ prefix: `${prefix}-short`, ttlMs: 150 });
    try {
      await robots.isAllowed(at('missing.test', '/x'));
      const before = hitsOf('missing.test');
      const key = `${prefix}-short:robots:http://missing.test:${port}`;
      for (let i = 0; i < 100 && (await redis.exists(key)); i++) await new Promise((r) => setTimeout(r, 50));
      expect(await redis.exists(key)).toBe(0);
      await robots.isAllowed(at('missing.test', '/y'));
      expect(hitsOf('missing.test')).toBe(before + 1);
    } finally {
      await deleteRedisPrefix(redisUrl, `${prefix}-short`);
    }
  });

  it('never asks about /robots.txt itself, and refuses URLs it cannot fetch', async () => {
    expect(await cache().isAllowed(at('nowhere.test', '/robots.txt'))).toEqual({ allowed: true });
    expect(hitsOf('nowhere.test')).toBe(0);
    await expect(cache().isAllowed('ftp://rules.test/x')).rejects.toThrow(/not http or https/);
    await expect(cache().isAllowed('not a url')).rejects.toThrow(/not a valid absolute URL/);
  });
});
