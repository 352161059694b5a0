import { createTestDatabase, type TestDatabase } from '@paperboy/test-utils';
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { closeInterruptedCrawls } from './interrupted-crawls.js';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t?.drop();
});

it('closes as failed (interrupted) the crawls left running past the threshold, and only those', async () => {
  await sql`
    INSERT INTO crawls (source, url, trigger, job_key, started_at, outcome) VALUES
      ('hf-papers', 'https://example.test/a', 'cli', 'k-old', now() - interval '2 hours', 'running'),
      ('hf-papers', 'https://example.test/b', 'cli', 'k-new', now(), 'running'),
      ('hf-papers', 'https://example.test/c', 'cli', 'k-done', now() - interval '2 hours', 'ok')`.execute(t.db);
  expect(await closeInterruptedCrawls(t.db, 3_600_000)).toBe(1);
  const { rows } = await sql<{ job_key: string; outcome: string; error: string | null; finished: boolean }>`
    SELECT job_key, outcome, error, finished_at IS NOT NULL AS finished FROM crawls ORDER BY job_key`.execute(t.db);
  expect(rows.map((r) => [r.job_key, r.outcome, r.finished])).toEqual([
    ['k-done', 'ok', false],
    ['k-new', 'running', false],
    ['k-old', 'failed', true],
  ]);
  expect(rows.find((r) => r.job_key === 'k-old')!.error).toMatch(/^interrupted/);
  // Nothing left to close: a second sweep is a no-op.
  expect(await closeInterruptedCrawls(t.db, 3_600_000)).toBe(0);
});
