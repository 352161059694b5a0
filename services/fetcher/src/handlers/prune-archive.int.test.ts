import { ArchiveRepository } from '@paperboy/db';
import { createTestDatabase, type TestDatabase } from '@paperboy/test-utils';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPruneArchiveHandler } from './prune-archive.handler.js';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => t?.drop());

describe('the raw archive', () => {
  it('stores a body once per content hash, and prunes bodies unseen for the retention period', async () => {
    const archive = new ArchiveRepository(t.db);
    const body = (hash: string, day: string) => ({
      contentHash: hash,
      encoding: 'br',
      body: Buffer.from('x'),
      bytes: 10,
      contentType: 'text/html',
      fetchedAt: new Date(day),
    });
    expect(await archive.storeBody(body('old', '2026-01-01T00:00:00Z'))).toBe(true);
    expect(await archive.storeBody(body('seen-again', '2026-01-01T00:00:00Z'))).toBe(true);
    expect(await archive.storeBody(body('seen-again', '2026-11-20T00:00:00Z'))).toBe(false); // stored once, marked seen
    expect(await archive.storeBody(body('new', '2026-11-27T00:00:00Z'))).toBe(true);
    const prune = createPruneArchiveHandler({
      db: t.db,
      logger: pino({ level: 'silent' }),
      retentionDays: 90,
      now: () => new Date('2026-11-28T00:00:00Z'),
    });
    const job = { queueName: 'crawl', id: '1', name: 'prune-archive', data: {} } as never;
    expect(await prune({}, job)).toEqual({ deleted: 1 });
    const left = await t.db.selectFrom('page_bodies').select('content_hash').orderBy('content_hash').execute();
    expect(left.map((r) => r.content_hash)).toEqual(['new', 'seen-again']);
  });
});
