import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { appendEvents, EventRepository, type OutboxRow } from '@paperboy/db';
import { createTestDatabase, type TestDatabase } from '@paperboy/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventHub } from './stream.js';

// The hub alone on a plain HTTP server: what it does with a client that stops reading.

let t: TestDatabase;
let server: Server;
let hub: EventHub;
let base: string;

beforeAll(async () => {
  t = await createTestDatabase();
  const events = new EventRepository(t.db);
  hub = new EventHub(events, { pollMs: 50, maxBufferedBytes: 64 * 1024 });
  server = createServer((req, res) => {
    const from = req.headers['last-event-id'];
    const [tx, id] = typeof from === 'string' ? from.split('.') : [];
    void (async () => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      hub.add(res, {}, tx && id ? { tx, id } : await events.head());
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await hub?.close();
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  await t?.drop();
});

const bulky = (n: number): OutboxRow => ({
  type: 'paper.updated',
  version: 1,
  data: { n, abstract: 'x'.repeat(2000) },
  paperId: n,
});

/** Every message id and number a stream sends until it ends (or `stopAt` messages). */
function read(res: IncomingMessage, stopAt = Number.POSITIVE_INFINITY): Promise<Array<{ id: string; n: number }>> {
  return new Promise((resolve) => {
    const seen: Array<{ id: string; n: number }> = [];
    let buffer = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      buffer += chunk;
      const blocks = buffer.split('\n\n');
      buffer = blocks.pop()!;
      for (const block of blocks) {
        const id = /^id: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (id && data) seen.push({ id, n: JSON.parse(data).data.n });
      }
      if (seen.length >= stopAt) {
        res.destroy();
        resolve(seen);
      }
    });
    res.on('close', () => resolve(seen));
    res.resume(); // a 'data' listener does not restart a stream paused by hand
  });
}

const connect = (headers: Record<string, string> = {}) =>
  new Promise<IncomingMessage>((resolve, reject) => httpRequest(base, { headers }, resolve).on('error', reject).end());

describe('EventHub', () => {
  it('drops a live client that stops reading, which then resumes from its last id with nothing lost or repeated', async () => {
    const stalled = await connect();
    stalled.pause(); // reads nothing: the kernel's buffers fill, then the server's
    await new Promise((r) => setTimeout(r, 200));
    const total = 6000; // 12 MB: more than loopback socket buffers hold
    for (let b = 0; b < total / 1000; b++)
      await appendEvents(
        t.db,
        Array.from({ length: 1000 }, (_, i) => bulky(b * 1000 + i)),
      );
    // The hub drops it (ends the answer) instead of buffering without end.
    for (let i = 0; i < 200 && hub.size > 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(hub.size).toBe(0);
    const first = await read(stalled);
    expect(first.length).toBeGreaterThan(0);
    expect(first.length).toBeLessThan(total);
    expect(first.map((m) => m.n)).toEqual(first.map((_, i) => i));
    // Resuming from the last message received gets the rest (a catch-up that never drops it).
    const resumed = await read(await connect({ 'last-event-id': first[first.length - 1]!.id }), total - first.length);
    expect([...first, ...resumed].map((m) => m.n)).toEqual(Array.from({ length: total }, (_, i) => i));
  }, 60_000);
});
