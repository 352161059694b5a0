import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlockedAddressError, FetchTimeoutError } from './errors.js';
import { postJson } from './post-json.js';

// postJson against a loopback server: any status returned as is, no redirect followed, one deadline,
// the answer read only so far, and the private-address policy named by the caller's setting.
let server: Server;
let base: string;
const hits: Array<{ path: string; body: string; type: string | undefined }> = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      hits.push({ path: req.url ?? '', body: Buffer.concat(chunks).toString(), type: req.headers['content-type'] });
      if (req.url === '/ok') return void res.writeHead(204).end();
      if (req.url === '/refuse') return void res.writeHead(500).end('database\n  is down');
      if (req.url === '/moved') return void res.writeHead(302, { location: '/ok' }).end();
      if (req.url === '/huge') {
        res.writeHead(200);
        const chunk = Buffer.alloc(64 * 1024, 'x');
        const write = () => {
          while (res.write(chunk)) if (res.writableLength > 1e6) break;
          if (!res.destroyed) setTimeout(write, 1);
        };
        return write();
      }
      // /hang: never answers
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

const policy = { verb: 'deliver to', setting: 'PAPERBOY_WEBHOOK_ALLOW_PRIVATE' };
const settings = { headers: { 'x-test': '1' }, timeoutMs: 500, allowPrivate: true, policy };

describe('postJson', () => {
  it('posts the body as JSON and returns any status, with the start of the answer', async () => {
    expect(await postJson(`${base}/ok`, '{"a":1}', settings)).toMatchObject({ status: 204, excerpt: '' });
    expect(hits.at(-1)).toEqual({ path: '/ok', body: '{"a":1}', type: 'application/json' });
    expect(await postJson(`${base}/refuse`, '{}', settings)).toMatchObject({
      status: 500,
      excerpt: 'database\n  is down',
    });
  });

  it('does not follow a redirect', async () => {
    const before = hits.length;
    expect((await postJson(`${base}/moved`, '{}', settings)).status).toBe(302);
    expect(hits.slice(before).map((h) => h.path)).toEqual(['/moved']);
  });

  it('gives up at the deadline when the answer never comes', async () => {
    const started = Date.now();
    const error = await postJson(`${base}/hang`, '{}', settings).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FetchTimeoutError);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('stops reading an endless answer at the limit', async () => {
    const answer = await postJson(`${base}/huge`, '{}', { ...settings, maxResponseBytes: 100_000 });
    expect(answer.status).toBe(200);
    expect(answer.excerpt).toMatch(/^x+$/);
  });

  it('refuses loopback addresses and localhost unless allowed, naming the setting, before sending anything', async () => {
    const before = hits.length;
    const strict = { ...settings, allowPrivate: false };
    const literal = await postJson(`${base}/ok`, '{}', strict).catch((e: unknown) => e);
    expect(literal).toBeInstanceOf(BlockedAddressError);
    expect((literal as Error).message).toMatch(
      /^refusing to deliver to 127\.0\.0\.1: .*\(set PAPERBOY_WEBHOOK_ALLOW_PRIVATE=1 to allow\)$/,
    );
    const port = new URL(base).port;
    await expect(postJson(`http://localhost:${port}/ok`, '{}', strict)).rejects.toBeInstanceOf(BlockedAddressError);
    await expect(postJson(`http://[::1]:${port}/ok`, '{}', strict)).rejects.toBeInstanceOf(BlockedAddressError);
    expect(hits.length).toBe(before);
  });
});
