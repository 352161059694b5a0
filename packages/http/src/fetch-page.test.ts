import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BlockedAddressError,
  BodyTooLargeError,
  FetchTimeoutError,
  HttpStatusError,
  TooManyRedirectsError,
  UnsupportedUrlError,
} from './errors.js';
import { fetchPage, type FetchSettings } from './fetch-page.js';
import { isPrivateAddress } from './address.js';

let server: Server;
let base: string;
let lastUserAgent = '';

beforeAll(async () => {
  server = createServer((req, res) => {
    lastUserAgent = req.headers['user-agent'] ?? '';
    const path = req.url ?? '/';
    if (path === '/ok') return void res.writeHead(200, { 'content-type': 'text/html' }).end('<html>hello</html>');
    if (path === '/gzip') {
      const body = gzipSync('<html>zipped</html>');
      return void res.writeHead(200, { 'content-type': 'text/html', 'content-encoding': 'gzip' }).end(body);
    }
    if (path === '/bomb') {
      // 64 KB on the wire, 64 MB once decompressed.
      return void res.writeHead(200, { 'content-type': 'text/html', 'content-encoding': 'gzip' }).end(gzipSync(Buffer.alloc(64 * 1024 * 1024)));
    }
    if (path === '/big') return void res.writeHead(200, { 'content-type': 'text/html' }).end(Buffer.alloc(2 * 1024 * 1024, 'a'));
    if (path === '/never') return; // accepts the request, never answers
    if (path === '/loop-a') return void res.writeHead(302, { location: '/loop-b' }).end();
    if (path === '/loop-b') return void res.writeHead(302, { location: '/loop-a' }).end();
    if (path.startsWith('/chain/')) {
      const n = Number(path.split('/')[2]);
      return void (n > 0 ? res.writeHead(301, { location: `/chain/${n - 1}` }).end() : res.writeHead(200).end('end of chain'));
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

const settings: FetchSettings = { userAgent: 'paperboy-test/1', timeoutMs: 2000, maxBytes: 1024 * 1024, maxRedirects: 3, allowPrivate: true };

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
    const started = Date.now();
    const error = await fetchPage(`${base}/never`, { ...settings, timeoutMs: 300 }).catch((e) => e);
    expect(error).toBeInstanceOf(FetchTimeoutError);
    expect(error.retryable).toBe(true);
    expect(Date.now() - started).toBeLessThan(2000);
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
    const rebinding = ((_host: string, _options: unknown, callback: (e: null, a: Array<{ address: string; family: number }>) => void) =>
      callback(null, [{ address: '127.0.0.1', family: 4 }])) as unknown as FetchSettings['dnsLookup'];
    await expect(fetchPage(`http://papers.example.test:${new URL(base).port}/ok`, { ...strict, dnsLookup: rebinding })).rejects.toBeInstanceOf(
      BlockedAddressError,
    );
    // ...and the same name is fetched when private addresses are allowed.
    expect((await fetchPage(`http://papers.example.test:${new URL(base).port}/ok`, { ...settings, dnsLookup: rebinding })).status).toBe(200);
  });

  it('refuses URLs that are not http(s)', async () => {
    await expect(fetchPage('file:///etc/passwd', settings)).rejects.toBeInstanceOf(UnsupportedUrlError);
    await expect(fetchPage('not a url', settings)).rejects.toBeInstanceOf(UnsupportedUrlError);
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
