import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { type AddressInfo, createServer as createTcpServer, type Socket } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPrivateAddress } from './address.js';
import {
  BlockedAddressError,
  BodyTooLargeError,
  FetchTimeoutError,
  HttpStatusError,
  NetworkError,
  TooManyRedirectsError,
  UnsupportedUrlError,
} from './errors.js';
import { type FetchSettings, fetchPage, parseRetryAfter } from './fetch-page.js';

let server: Server;
let base: string;
let lastUserAgent = '';
let lastHeaders: IncomingHttpHeaders = {};
const ETAG = '"v1"';
const LAST_MODIFIED = 'Wed, 21 Oct 2015 07:28:00 GMT';

beforeAll(async () => {
  server = createServer((req, res) => {
    lastUserAgent = req.headers['user-agent'] ?? '';
    lastHeaders = req.headers;
    const path = req.url ?? '/';
    if (path === '/to-private-literal') return void res.writeHead(302, { location: 'http://10.0.0.1/x' }).end();
    if (path === '/to-private-name')
      return void res.writeHead(302, { location: 'http://internal.example.test/x' }).end();
    if (path === '/validated') {
      const fresh = req.headers['if-none-match'] === ETAG || req.headers['if-modified-since'] === LAST_MODIFIED;
      const validators = { etag: ETAG, 'last-modified': LAST_MODIFIED };
      return void (fresh
        ? res.writeHead(304, validators).end()
        : res.writeHead(200, { ...validators, 'content-type': 'text/html' }).end('<html>v1</html>'));
    }
    if (path === '/always-304') return void res.writeHead(304).end();
    if (path === '/to-validated') return void res.writeHead(302, { location: '/validated' }).end();
    if (path === '/stall-body') {
      res.writeHead(200, { 'content-type': 'text/html' });
      return void res.write('<html>a first chunk, then nothing');
    }
    if (path === '/503-date') {
      return void res.writeHead(503, { 'retry-after': new Date(Date.now() + 120_000).toUTCString() }).end('later');
    }
    if (path === '/ok') return void res.writeHead(200, { 'content-type': 'text/html' }).end('<html>hello</html>');
    if (path === '/gzip') {
      const body = gzipSync('<html>zipped</html>');
      return void res.writeHead(200, { 'content-type': 'text/html', 'content-encoding': 'gzip' }).end(body);
    }
    if (path === '/bomb') {
      // 64 KB on the wire, 64 MB once decompressed.
      return void res
        .writeHead(200, { 'content-type': 'text/html', 'content-encoding': 'gzip' })
        .end(gzipSync(Buffer.alloc(64 * 1024 * 1024)));
    }
    if (path === '/big')
      return void res.writeHead(200, { 'content-type': 'text/html' }).end(Buffer.alloc(2 * 1024 * 1024, 'a'));
    if (path === '/never') return; // accepts the request, never answers
    if (path === '/loop-a') return void res.writeHead(302, { location: '/loop-b' }).end();
    if (path === '/loop-b') return void res.writeHead(302, { location: '/loop-a' }).end();
    if (path.startsWith('/chain/')) {
      const n = Number(path.split('/')[2]);
      return void (n > 0
        ? res.writeHead(301, { location: `/chain/${n - 1}` }).end()
        : res.writeHead(200).end('end of chain'));
    }
    const status = Number(path.slice(1));
    if (status >= 400) return void res.writeHead(status, { 'retry-after': '7' }).end('error');
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => {
  server.closeAllConnections();
  server.close();
});

const settings: FetchSettings = {
  userAgent: 'paperboy-test/1',
  timeoutMs: 2000,
  maxBytes: 1024 * 1024,
  maxRedirects: 3,
  allowPrivate: true,
};

describe('fetchPage', () => {
  it('fetches a page with a User-Agent naming the project and hashes its content', async () => {
    const page = await fetchPage(`${base}/ok`, settings);
    expect(page.body.toString()).toBe('<html>hello</html>');
    expect(page.status).toBe(200);
    expect(page.contentHash).toMatch(/^[0-9a-f]{64}$/);
    expect(lastUserAgent).toBe('paperboy-test/1');
  });

  it('decompresses gzip and counts the limit after decompression', async () => {
    expect((await fetchPage(`${base}/gzip`, settings)).body.toString()).toBe('<html>zipped</html>');
    await expect(fetchPage(`${base}/bomb`, settings)).rejects.toBeInstanceOf(BodyTooLargeError);
  });

  it('refuses a body over the limit, permanently', async () => {
    const error = await fetchPage(`${base}/big`, settings).catch((e) => e);
    expect(error).toBeInstanceOf(BodyTooLargeError);
    expect(error.retryable).toBe(false);
  });

  it('gives up on a server that never answers, as a retryable failure', async () => {
    // '/never' never answers: the error itself, naming the 300 ms limit, shows the deadline ended it.
    const error = await fetchPage(`${base}/never`, { ...settings, timeoutMs: 300 }).catch((e) => e);
    expect(error).toBeInstanceOf(FetchTimeoutError);
    expect(error).toMatchObject({ limit: 'timeoutMs', retryable: true });
    expect(error.message).toMatch(/300 ms/);
  });

  it('names a refused connection as what it is, with the address that refused it, as a retryable failure', async () => {
    const closed = createTcpServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const error = await fetchPage(`http://127.0.0.1:${port}/robots.txt`, settings).catch((e) => e);
    expect(error).toBeInstanceOf(NetworkError);
    expect(error).toMatchObject({ retryable: true });
    expect(error.message).toBe(
      `network error fetching http://127.0.0.1:${port}/robots.txt: connection refused by 127.0.0.1:${port} (ECONNREFUSED: nothing listens there)`,
    );
  });

  it('classifies HTTP errors: 5xx and 429 retry, 404 does not', async () => {
    const e500 = await fetchPage(`${base}/500`, settings).catch((e) => e);
    const e429 = await fetchPage(`${base}/429`, settings).catch((e) => e);
    const e404 = await fetchPage(`${base}/404`, settings).catch((e) => e);
    expect(e500).toBeInstanceOf(HttpStatusError);
    expect([e500.retryable, e429.retryable, e404.retryable]).toEqual([true, true, false]);
    expect(e429.retryAfterMs).toBe(7000);
    expect(e404.status).toBe(404);
  });

  it('follows redirects up to the limit and stops redirect loops', async () => {
    expect((await fetchPage(`${base}/chain/3`, settings)).redirects).toBe(3);
    await expect(fetchPage(`${base}/chain/4`, settings)).rejects.toBeInstanceOf(TooManyRedirectsError);
    await expect(fetchPage(`${base}/loop-a`, settings)).rejects.toBeInstanceOf(TooManyRedirectsError);
  });

  it('refuses private and loopback addresses unless allowed', async () => {
    const strict = { ...settings, allowPrivate: false };
    await expect(fetchPage(`${base}/ok`, strict)).rejects.toBeInstanceOf(BlockedAddressError);
    await expect(fetchPage('http://localhost:1/ok', strict)).rejects.toBeInstanceOf(BlockedAddressError);
    // A name that DNS resolves to loopback: caught on the resolved address, not the name.
    const rebinding = ((
      _host: string,
      _options: unknown,
      callback: (e: null, a: Array<{ address: string; family: number }>) => void,
    ) => callback(null, [{ address: '127.0.0.1', family: 4 }])) as unknown as FetchSettings['dnsLookup'];
    await expect(
      fetchPage(`http://papers.example.test:${new URL(base).port}/ok`, { ...strict, dnsLookup: rebinding }),
    ).rejects.toBeInstanceOf(BlockedAddressError);
    // ...and the same name is fetched when private addresses are allowed.
    expect(
      (await fetchPage(`http://papers.example.test:${new URL(base).port}/ok`, { ...settings, dnsLookup: rebinding }))
        .status,
    ).toBe(200);
  });

  it('checks every redirect hop: a redirect to a private address, literal or by DNS, is refused', async () => {
    // The fixture server is on loopback: this policy counts 127.0.0.1 as public and 10/8 as private,
    // so the first hop is allowed and only the redirect's target is in question.
    const policy = { ...settings, allowPrivate: false, isPrivate: (address: string) => address.startsWith('10.') };
    expect((await fetchPage(`${base}/ok`, policy)).status).toBe(200);
    const literal = await fetchPage(`${base}/to-private-literal`, policy).catch((e) => e);
    expect(literal).toBeInstanceOf(BlockedAddressError);
    expect(literal.message).toMatch(/10\.0\.0\.1/);
    // A name whose DNS answer is private (DNS rebinding): refused on the address, before connecting.
    const rebinding = ((
      host: string,
      _options: unknown,
      callback: (e: null, a: Array<{ address: string; family: number }>) => void,
    ) =>
      callback(null, [
        { address: host === 'internal.example.test' ? '10.1.2.3' : '127.0.0.1', family: 4 },
      ])) as unknown as FetchSettings['dnsLookup'];
    const byName = await fetchPage(`${base}/to-private-name`, { ...policy, dnsLookup: rebinding }).catch((e) => e);
    expect(byName).toBeInstanceOf(BlockedAddressError);
    expect(byName.message).toMatch(/10\.1\.2\.3/);
  });

  it('refuses URLs that are not http(s)', async () => {
    await expect(fetchPage('file:///etc/passwd', settings)).rejects.toBeInstanceOf(UnsupportedUrlError);
    await expect(fetchPage('not a url', settings)).rejects.toBeInstanceOf(UnsupportedUrlError);
  });
});

describe('fetchPage: conditional GET', () => {
  it('carries the validators of a full answer, null when the server sends none', async () => {
    const page = await fetchPage(`${base}/validated`, settings);
    expect(page).toMatchObject({
      status: 200,
      notModified: false,
      etag: ETAG,
      lastModified: LAST_MODIFIED,
      truncated: false,
    });
    expect(lastHeaders['if-none-match']).toBeUndefined();
    expect(lastHeaders['if-modified-since']).toBeUndefined();
    const bare = await fetchPage(`${base}/ok`, settings);
    expect([bare.etag, bare.lastModified, bare.notModified]).toEqual([null, null, false]);
  });

  it('sends If-None-Match and resolves a 304 as not modified, with an empty body', async () => {
    const page = await fetchPage(`${base}/validated`, { ...settings, conditional: { etag: ETAG } });
    expect(lastHeaders['if-none-match']).toBe(ETAG);
    expect(lastHeaders['if-modified-since']).toBeUndefined();
    expect(page).toMatchObject({ status: 304, notModified: true, bytes: 0, etag: ETAG, lastModified: LAST_MODIFIED });
    expect(page.body.length).toBe(0);
  });

  it('sends If-Modified-Since alone, and both together', async () => {
    expect(
      (await fetchPage(`${base}/validated`, { ...settings, conditional: { lastModified: LAST_MODIFIED, etag: null } }))
        .notModified,
    ).toBe(true);
    expect(lastHeaders['if-modified-since']).toBe(LAST_MODIFIED);
    expect(lastHeaders['if-none-match']).toBeUndefined();
    await fetchPage(`${base}/validated`, { ...settings, conditional: { etag: ETAG, lastModified: LAST_MODIFIED } });
    expect([lastHeaders['if-none-match'], lastHeaders['if-modified-since']]).toEqual([ETAG, LAST_MODIFIED]);
  });

  it('gets the full page when the validators are stale', async () => {
    const page = await fetchPage(`${base}/validated`, { ...settings, conditional: { etag: '"v0"' } });
    expect(page).toMatchObject({ status: 200, notModified: false, etag: ETAG });
    expect(page.body.toString()).toBe('<html>v1</html>');
  });

  it('follows a redirect to the validated page and still sees the 304', async () => {
    const page = await fetchPage(`${base}/to-validated`, { ...settings, conditional: { etag: ETAG } });
    expect(page).toMatchObject({ status: 304, notModified: true, redirects: 1 });
    expect(page.finalUrl).toBe(`${base}/validated`);
  });

  it('strips CR/LF from a stored validator instead of injecting a header', async () => {
    await fetchPage(`${base}/validated`, { ...settings, conditional: { etag: `${ETAG}\r\nx-injected: 1` } });
    expect(lastHeaders['x-injected']).toBeUndefined();
    expect(lastHeaders['if-none-match']).toBe(`${ETAG}x-injected: 1`);
  });

  it('treats a 304 to an unconditional request as an error, not as an empty page', async () => {
    const error = await fetchPage(`${base}/always-304`, settings).catch((e) => e);
    expect(error).toBeInstanceOf(HttpStatusError);
    expect(error.status).toBe(304);
    expect(error.retryable).toBe(false);
  });
});

describe('fetchPage: timeouts by phase', () => {
  it('connect: a name whose lookup never answers', async () => {
    const silentDns = (() => {}) as unknown as FetchSettings['dnsLookup'];
    const error = await fetchPage('http://slow-dns.example.test/', {
      ...settings,
      timeoutMs: 20_000,
      connectTimeoutMs: 200,
      dnsLookup: silentDns,
    }).catch((e) => e);
    expect(error).toBeInstanceOf(FetchTimeoutError);
    expect(error).toMatchObject({ phase: 'connect', limit: 'connectTimeoutMs', retryable: true });
    expect(error.message).toMatch(/connect timeout/);
  });

  it('connect: a TLS handshake that never completes', async () => {
    const sockets = new Set<Socket>();
    const silent = createTcpServer((socket) => void sockets.add(socket)); // accepts, never speaks TLS
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const port = (silent.address() as AddressInfo).port;
      const error = await fetchPage(`https://127.0.0.1:${port}/`, {
        ...settings,
        timeoutMs: 20_000,
        connectTimeoutMs: 300,
      }).catch((e) => e);
      expect(error).toBeInstanceOf(FetchTimeoutError);
      expect(error).toMatchObject({ phase: 'connect', limit: 'connectTimeoutMs' });
    } finally {
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  });

  it('headers: connected, but no answer', async () => {
    const error = await fetchPage(`${base}/never`, { ...settings, timeoutMs: 20_000, headersTimeoutMs: 200 }).catch(
      (e) => e,
    );
    expect(error).toBeInstanceOf(FetchTimeoutError);
    expect(error).toMatchObject({ phase: 'headers', limit: 'headersTimeoutMs', retryable: true });
    expect(error.message).toMatch(/headers timeout/);
  });

  it('body: headers came, the body stalls, the whole-request deadline ends it', async () => {
    const error = await fetchPage(`${base}/stall-body`, { ...settings, timeoutMs: 1500 }).catch((e) => e);
    expect(error).toBeInstanceOf(FetchTimeoutError);
    expect(error).toMatchObject({ phase: 'body', limit: 'timeoutMs', retryable: true });
    expect(error.message).toMatch(/body timeout.*reading the body/);
  });

  it('the overall deadline still applies when it is shorter than a phase limit', async () => {
    const error = await fetchPage(`${base}/never`, { ...settings, timeoutMs: 1000, headersTimeoutMs: 20_000 }).catch(
      (e) => e,
    );
    expect(error).toMatchObject({ phase: 'headers', limit: 'timeoutMs' });
  });
});

describe('fetchPage: truncation and Retry-After', () => {
  it('cuts a long body at maxBytes when asked to, instead of failing', async () => {
    const page = await fetchPage(`${base}/big`, { ...settings, maxBytes: 1000, truncateBody: true });
    expect(page).toMatchObject({ status: 200, truncated: true, bytes: 1000 });
    const bomb = await fetchPage(`${base}/bomb`, { ...settings, maxBytes: 4096, truncateBody: true });
    expect(bomb).toMatchObject({ truncated: true, bytes: 4096 });
  });

  it('reads Retry-After as an HTTP date', async () => {
    const error = await fetchPage(`${base}/503-date`, settings).catch((e) => e);
    expect(error).toBeInstanceOf(HttpStatusError);
    // Two minutes ahead, give or take the second the date is rounded to and a slow machine.
    expect(error.retryAfterMs).toBeGreaterThan(100_000);
    expect(error.retryAfterMs).toBeLessThanOrEqual(120_000);
  });

  it.each([
    ['7', 7000],
    [' 0 ', 0],
    ['1.5', 1500],
    ['-3', null],
    ['soon', null],
    ['Wed, 21 Oct 2015 07:28:00 GMT', 0],
    [undefined, null],
  ])('parseRetryAfter(%j) → %j', (value, expected) => {
    expect(parseRetryAfter(value, Date.now())).toBe(expected);
  });
});

describe('isPrivateAddress', () => {
  it.each([
    ['127.0.0.1', true],
    ['10.1.2.3', true],
    ['172.20.0.1', true],
    ['192.168.1.1', true],
    ['169.254.169.254', true],
    ['::1', true],
    ['::ffff:127.0.0.1', true],
    ['fd00::1', true],
    ['8.8.8.8', false],
    ['2606:4700::1111', false],
  ])('%s → %s', (address, expected) => {
    expect(isPrivateAddress(address)).toBe(expected);
  });
});
