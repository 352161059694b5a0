import { createTestDatabase, type TestDatabase } from '@paperboy/test-utils';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectionConfig, createDb, type Db, isStatementTimeout } from '../connection.js';
import type { Database } from '../schema.js';
import { ReadRepository } from './read.repository.js';

// One paper by id runs as a named prepared statement (queryPrepared) on a pool made by createDb,
// and as an ordinary query on any other Kysely: the same answer either way.
let t: TestDatabase;
let single: Db;
let plain: Kysely<Database>;
beforeAll(async () => {
  t = await createTestDatabase();
  await sql`
    INSERT INTO papers (arxiv_id, title, title_key, abstract, authors, upvotes, first_seen_at, last_seen_at)
    VALUES ('2611.70001', 'One', 'one', 'An abstract.', ARRAY['A', 'B'], 7, '2026-12-01T10:00:00Z', '2026-12-02T11:00:00Z'),
           ('2611.70002', 'Two', 'two', NULL, ARRAY['C'], NULL, '2026-12-01T12:00:00Z', '2026-12-01T12:00:00Z')`.execute(
    t.db,
  );
  await sql`
    INSERT INTO paper_aliases (paper_id, source, external_id, first_seen_at)
    SELECT id, 'hf-papers', arxiv_id, first_seen_at FROM papers`.execute(t.db);
  await sql`
    INSERT INTO sightings (paper_id, source, listing, rank, upvotes, seen_at)
    SELECT id, 'hf-papers', 'daily', 3, 5, '2026-12-02T11:00:00Z'::timestamptz FROM papers WHERE arxiv_id = '2611.70001'
    UNION ALL
    SELECT id, 'hf-papers', 'daily', 1, 7, '2026-12-01T10:00:00Z'::timestamptz FROM papers WHERE arxiv_id = '2611.70001'`.execute(
    t.db,
  );
  // One connection: the session whose prepared statements the test reads.
  single = createDb(t.url, { max: 1 });
  plain = new Kysely<Database>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ ...connectionConfig(t.url), max: 1 }) }),
  });
});
afterAll(async () => {
  await single?.destroy();
  await plain?.destroy();
  await t?.drop();
});

const prepared = async (db: Kysely<Database>) =>
  (await sql<{ name: string }>`SELECT name FROM pg_prepared_statements`.execute(db)).rows.map((r) => r.name);

describe('paperWithHistory as a prepared statement', () => {
  it('answers the paper, its sightings in order, and null for an unknown id; prepared once per connection', async () => {
    const read = new ReadRepository(single);
    expect(await prepared(single)).toEqual([]);
    const first = await read.paperWithHistory('2611.70001');
    expect(first).toEqual({
      arxivId: '2611.70001',
      title: 'One',
      abstract: 'An abstract.',
      authors: ['A', 'B'],
      upvotes: 7,
      topics: [],
      sources: ['hf-papers'],
      firstSeenAt: '2026-12-01T10:00:00.000Z',
      lastSeenAt: '2026-12-02T11:00:00.000Z',
      sightings: [
        {
          source: 'hf-papers',
          listing: 'daily',
          seenAt: '2026-12-01T10:00:00.000Z',
          rank: 1,
          upvotes: 7,
          comments: null,
          stars: null,
        },
        {
          source: 'hf-papers',
          listing: 'daily',
          seenAt: '2026-12-02T11:00:00.000Z',
          rank: 3,
          upvotes: 5,
          comments: null,
          stars: null,
        },
      ],
      // What the sources give (migration 0020): none here.
      url: null,
      codeUrl: null,
      codeStars: null,
      projectPage: null,
      aiSummary: null,
      aiKeywords: [],
      organization: null,
      submittedBy: null,
      thumbnail: null,
      mediaUrls: [],
      primaryCategory: null,
      arxivComments: null,
      journalRef: null,
      doi: null,
      license: null,
      latestVersion: null,
      versions: [],
    });
    expect(await prepared(single)).toEqual(['paperboy_paper_with_history']);
    // Later runs reuse it, with another id each time.
    expect((await read.paperWithHistory('2611.70002'))?.sightings).toEqual([]);
    expect(await read.paperWithHistory('2611.79999')).toBeNull();
    expect(await new ReadRepository(single).paperWithHistory('2611.70001')).toEqual(first);
    expect(await prepared(single)).toEqual(['paperboy_paper_with_history']);

    // On a Kysely createDb did not make: an ordinary query, the same answer.
    expect(await new ReadRepository(plain).paperWithHistory('2611.70001')).toEqual(first);
    expect(await prepared(plain)).toEqual([]);
  });

  it('keeps the statement timeout and stays usable after a cancelled run', async () => {
    const limited = createDb(t.url, { max: 1, statementTimeoutMs: 200 });
    try {
      const read = new ReadRepository(limited);
      expect((await read.paperWithHistory('2611.70001'))?.title).toBe('One');
      // Another session locks papers: the prepared run waits, and Postgres cancels it.
      await t.db.transaction().execute(async (trx) => {
        await sql`LOCK TABLE papers IN ACCESS EXCLUSIVE MODE`.execute(trx);
        const error = await read.paperWithHistory('2611.70001').catch((e: unknown) => e);
        expect(isStatementTimeout(error)).toBe(true);
      });
      expect((await read.paperWithHistory('2611.70001'))?.title).toBe('One');
    } finally {
      await limited.destroy();
    }
  });
});
