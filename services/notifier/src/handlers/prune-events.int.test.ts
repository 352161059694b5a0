import { appendEvents, EventRepository } from '@paperboy/db';
import { createTestDatabase, type TestDatabase } from '@paperboy/test-utils';
import { sql } from 'kysely';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPruneEventsHandler } from './prune-events.handler.js';

// prune-events against a real Postgres: what is older than the retention goes, in chunks, the rest stays.
let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => t?.drop());

const job = { queueName: 'webhooks', id: 'test', name: 'prune-events', data: {} } as never;

describe('prune-events', () => {
  it('deletes the events older than the retention, however many chunks that takes, and keeps the rest', async () => {
    const row = (n: number) => ({ type: 'paper.created', version: 1, data: { n }, paperId: n });
    await appendEvents(
      t.db,
      Array.from({ length: 25_000 }, (_, i) => row(i)),
    );
    await sql`UPDATE events SET occurred_at = now() - interval '31 days'`.execute(t.db);
    await appendEvents(t.db, [row(-1), row(-2)]);
    const prune = createPruneEventsHandler({ db: t.db, logger: pino({ level: 'silent' }), retentionDays: 30 });
    expect(await prune({}, job)).toEqual({ pruned: 25_000 });
    const left = await new EventRepository(t.db).countByType();
    expect(left).toEqual([{ type: 'paper.created', events: 2 }]);
    expect(await prune({}, job)).toEqual({ pruned: 0 });
  });
});
