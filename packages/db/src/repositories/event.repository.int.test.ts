import { createTestDatabase, type TestDatabase } from '@paperboy/test-utils';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb } from '../connection.js';
import {
  appendEvents,
  EventRepository,
  formatPosition,
  OUTBOX_START,
  type OutboxRow,
  parsePosition,
} from './event.repository.js';
import { WebhookRepository } from './webhook.repository.js';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => t?.drop());

const event = (n: number, extra: Partial<OutboxRow> = {}): OutboxRow => ({
  type: 'paper.created',
  version: 1,
  data: { n },
  paperId: n,
  topics: ['llm'],
  ...extra,
});

describe('EventRepository', () => {
  it('never shows an event behind one a reader has passed: it waits for every older transaction', async () => {
    const events = new EventRepository(t.db);
    const start = await events.head();
    // A second pool stands for another process writing at the same time.
    const other = createDb(t.url, { max: 2 });
    try {
      let releaseFirst!: () => void;
      const firstHolds = new Promise<void>((resolve) => {
        releaseFirst = resolve;
      });
      let firstWrote!: () => void;
      const wrote = new Promise<void>((resolve) => {
        firstWrote = resolve;
      });
      // Transaction 1 writes first (the older transaction id) and stays open.
      const first = other.transaction().execute(async (trx) => {
        await appendEvents(trx, [event(1)]);
        firstWrote();
        await firstHolds;
      });
      await wrote;
      // Transaction 2 writes later and commits first.
      await t.db.transaction().execute((trx) => appendEvents(trx, [event(2), event(3)]));
      expect(await events.after(start, {}, 100)).toEqual([]);
      releaseFirst();
      await first;
      const seen = await events.after(start, {}, 100);
      expect(seen.map((e) => (e.data as { n: number }).n)).toEqual([1, 2, 3]);
      // From the middle: only what follows.
      expect((await events.after(seen[0]!.position, {}, 100)).map((e) => e.paperId)).toEqual([2, 3]);
      expect(await events.head()).toEqual(seen[2]!.position);
    } finally {
      await other.destroy();
    }
  });

  it('does not wait for a transaction running in another database on the same server', async () => {
    const events = new EventRepository(t.db);
    const start = await events.head();
    const elsewhere = new URL(t.url);
    elsewhere.pathname = '/postgres';
    const neighbour = createDb(elsewhere.toString(), { max: 1 });
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let long: Promise<void> | undefined;
    try {
      let begun!: () => void;
      const open = new Promise<void>((resolve) => {
        begun = resolve;
      });
      // A transaction with an id (older than ours), held open in another database.
      long = neighbour.transaction().execute(async (trx) => {
        await sql`SELECT pg_current_xact_id()`.execute(trx);
        begun();
        await held;
      });
      await open;
      await appendEvents(t.db, [event(30)]);
      expect((await events.after(start, {}, 10)).map((e) => e.paperId)).toEqual([30]);
    } finally {
      release();
      await long;
      await neighbour.destroy();
    }
  });

  it('writes an event with a dedupe key once, filters by type and topic, and prunes by age', async () => {
    const events = new EventRepository(t.db);
    const start = await events.head();
    expect(await appendEvents(t.db, [event(10, { dedupeKey: 'k-10' })])).toBe(1);
    expect(await appendEvents(t.db, [event(10, { dedupeKey: 'k-10' })])).toBe(0);
    await appendEvents(t.db, [
      event(11, { topics: ['cv'] }),
      { type: 'source.health_changed', version: 1, data: {}, source: 's' },
    ]);
    const all = await events.after(start, {}, 100);
    expect(all).toHaveLength(3);
    expect((await events.after(start, { topics: ['cv'] }, 100)).map((e) => e.paperId ?? e.source)).toEqual([11, 's']);
    expect((await events.after(start, { types: ['source.health_changed'] }, 100)).map((e) => e.source)).toEqual(['s']);
    const found = await events.byEventId(all[0]!.eventId);
    expect(found?.position).toEqual(all[0]!.position);
    expect(await events.byEventId('not-a-uuid')).toBeUndefined();
    expect(await events.positionBefore(new Date(Date.now() + 60_000))).toEqual(all[2]!.position);
    expect(await events.prune(new Date(Date.now() + 60_000))).toBeGreaterThanOrEqual(3);
    expect(await events.after(OUTBOX_START, {}, 100)).toEqual([]);
  });

  it('reads in position order by number, not by the digits of the text (id 10 after id 9, a later transaction last)', async () => {
    const events = new EventRepository(t.db);
    const start = await events.head();
    await appendEvents(
      t.db,
      Array.from({ length: 12 }, (_, i) => event(100 + i)),
    );
    await appendEvents(t.db, [event(200)]);
    const read = await events.after(start, {}, 100);
    expect(read.map((e) => e.paperId)).toEqual([...Array.from({ length: 12 }, (_, i) => 100 + i), 200]);
    // Positions strictly ascending as numbers, whatever their number of digits.
    const asNumbers = read.map((e) => [BigInt(e.position.tx), BigInt(e.position.id)] as const);
    for (let i = 1; i < asNumbers.length; i++) {
      const [tx, id] = asNumbers[i]!;
      const [prevTx, prevId] = asNumbers[i - 1]!;
      expect(tx > prevTx || (tx === prevTx && id > prevId)).toBe(true);
    }
  });

  it('finds the head and the position before a time by number too (the head is the largest id, not the largest text)', async () => {
    const events = new EventRepository(t.db);
    const start = await events.head();
    // Ids that cross a power of ten within one transaction (…98, 99, 100…): the sequence moved forward to just before one.
    await sql`SELECT setval(pg_get_serial_sequence('events', 'id'),
                power(10, length((SELECT coalesce(max(id), 0) FROM events)::text) + 1)::bigint - 5)`.execute(t.db);
    await appendEvents(
      t.db,
      Array.from({ length: 120 }, (_, i) => event(1000 + i)),
    );
    const read = await events.after(start, {}, 1000);
    expect(read.map((e) => e.paperId)).toEqual(Array.from({ length: 120 }, (_, i) => 1000 + i));
    expect(await events.head()).toEqual(read[read.length - 1]!.position);
    const before = await events.positionBefore(new Date(Date.now() + 60_000));
    expect(before).toEqual(read[read.length - 1]!.position);
  });

  it("tells when stored positions are past the server's transaction counter (a restore onto another server)", async () => {
    const events = new EventRepository(t.db);
    await appendEvents(t.db, [event(40)]);
    expect(await events.positionsAheadOfServer()).toBeNull();
    // What pg_restore onto a server whose counter is a million transactions behind looks like.
    await sql`UPDATE events SET tx_id = (tx_id::text::numeric + 1000000)::text::xid8`.execute(t.db);
    const ahead = await events.positionsAheadOfServer();
    expect(ahead).not.toBeNull();
    expect(BigInt(ahead!.stored)).toBeGreaterThanOrEqual(BigInt(ahead!.next));
    await sql`UPDATE events SET tx_id = (tx_id::text::numeric - 1000000)::text::xid8`.execute(t.db);
    expect(await events.positionsAheadOfServer()).toBeNull();
  });

  it('formats and parses positions, refusing anything else', () => {
    expect(parsePosition(formatPosition({ tx: '123', id: '45' }))).toEqual({ tx: '123', id: '45' });
    for (const bad of ['', '1', '1.2.3', 'a.b', '-1.2', `${'9'.repeat(21)}.1`]) expect(parsePosition(bad)).toBeNull();
  });
});

describe('WebhookRepository', () => {
  it('starts a new endpoint at the head, sees pending events by its filter, and only moves forward', async () => {
    const events = new EventRepository(t.db);
    await appendEvents(t.db, [event(20)]);
    const hooks = new WebhookRepository(t.db);
    const endpoint = await hooks.create({
      url: 'https://example.org/hook',
      secret: 's',
      eventTypes: ['paper.created'],
    });
    expect(endpoint.cursor).toEqual(await events.head());
    expect(await hooks.withPendingEvents()).not.toContain(endpoint.id);
    await appendEvents(t.db, [{ type: 'source.health_changed', version: 1, data: {}, source: 's' }]);
    expect(await hooks.withPendingEvents()).not.toContain(endpoint.id); // not a type it wants
    await appendEvents(t.db, [event(21)]);
    expect(await hooks.withPendingEvents()).toContain(endpoint.id);
    const [next] = await events.after(endpoint.cursor, { types: endpoint.eventTypes }, 10);
    expect(next?.paperId).toBe(21);
    await hooks.advance(endpoint.id, next!.position, 1);
    await hooks.advance(endpoint.id, endpoint.cursor, 0); // backwards: ignored
    const after = await hooks.get(endpoint.id);
    expect(after?.cursor).toEqual(next!.position);
    expect(after?.delivered).toBe(1);
    expect(await hooks.withPendingEvents()).not.toContain(endpoint.id);

    const run = await hooks.recordFailure(endpoint.id, { status: 500, error: 'oops' });
    expect(run?.consecutiveFailures).toBe(1);
    expect((await hooks.recordFailure(endpoint.id, { status: null, error: 'timeout' }))?.failingSince).toEqual(
      run?.failingSince,
    );
    const disabled = await hooks.setEnabled(endpoint.id, false, 'failing for a day');
    expect(disabled).toMatchObject({ enabled: false, disabledReason: 'failing for a day', failed: 2 });
    expect(await hooks.setEnabled(endpoint.id, true)).toMatchObject({ enabled: true, consecutiveFailures: 0 });
    expect(await hooks.rewind(endpoint.id, OUTBOX_START)).toMatchObject({ cursor: OUTBOX_START });
    expect(await hooks.remove(endpoint.id)).toBe(true);
    expect(await hooks.get(endpoint.id)).toBeUndefined();
  });
});
