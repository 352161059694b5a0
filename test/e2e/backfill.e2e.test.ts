import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, deleteRedisPrefix, requireEnv, testQueuePrefix, type TestDatabase } from '@paperboy/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadHfCapture, renderHfPapersPage } from '../../packages/sources/src/fixture-kit/index.js';
import { lastJson, root, runCli, until } from './helpers.js';

const capture = loadHfCapture('hf-api-daily_papers-limit30-2026-06-13.json');
const days = ['2026-06-01', '2026-06-02', '2026-06-03', '2026-06-04', '2026-06-05'];
const requests: string[] = [];
let server: Server;
let t: TestDatabase;
let env: Record<string, string>;
const prefix = testQueuePrefix();

beforeAll(async () => {
  server = createServer((req, res) => {
    const day = /^\/papers\/date\/(\d{4}-\d{2}-\d{2})$/.exec(req.url ?? '')?.[1];
    if (!day) return void res.writeHead(404).end();
    requests.push(day);
    const i = days.indexOf(day);
    // Each day its own five papers; slow enough that a backfill can be killed part-way.
    const body = renderHfPapersPage({ documentTitle: day, heading: day, entries: capture.slice(i * 5, i * 5 + 5), props: { date: day } });
    setTimeout(() => res.writeHead(200, { 'content-type': 'text/html' }).end(body), 400);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const dir = mkdtempSync(join(tmpdir(), 'paperboy-backfill-'));
  writeFileSync(
    join(dir, 'sources.yaml'),
    `defaults: { politeness: { concurrency: 4, minDelay: 0s } }\nsources:\n  - { id: daily, adapter: hf-papers, url: "${base}/papers/date/{date}", schedule: { every: 1h } }\n  - { id: undated, adapter: hf-papers, url: "${base}/papers", schedule: { every: 1h } }\n`,
  );
  t = await createTestDatabase();
  env = {
    DATABASE_URL: t.url,
    REDIS_URL: requireEnv('TEST_REDIS_URL'),
    PAPERBOY_QUEUE_PREFIX: prefix,
    PAPERBOY_SOURCES: join(dir, 'sources.yaml'),
    PAPERBOY_FETCH_ALLOW_PRIVATE: '1',
    // The killed run's active job is taken over once its lock expires.
    PAPERBOY_JOB_LOCK_MS: '3000',
    LOG_LEVEL: 'info',
  };
});
afterAll(async () => {
  server?.closeAllConnections();
  server?.close();
  await t?.drop();
  await deleteRedisPrefix(requireEnv('TEST_REDIS_URL'), prefix);
});

describe('paperboy backfill', () => {
  it('crawls every day of a range, and resumes where it stopped after a crash', async () => {
    const args = ['backfill', '--source', 'daily', '--from', days[0]!, '--to', days[4]!];
    // First run, killed (SIGKILL, no cleanup) once two days are done.
    const child = spawn('pnpm', ['paperboy', ...args], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let log = '';
    child.stderr.on('data', (d) => (log += d));
    const closed = new Promise((resolve) => child.on('close', resolve));
    await until(async () => (log.match(/"msg":"backfill progress"/g) ?? []).length >= 2, 60_000, 'two days of backfill');
    process.kill(-child.pid!, 'SIGKILL');
    await closed;
    const progress = await t.db.selectFrom('backfills').selectAll().executeTakeFirstOrThrow();
    expect(progress.finished_at).toBeNull();
    expect(progress.pages_done).toBeGreaterThanOrEqual(2);

    const second = await runCli(args, env, 120_000);
    expect(second.code, second.stderr).toBe(0);
    const summary = lastJson<{ resumedFrom: string | null; days: number; pagesFailed: number }>(second.stdout);
    expect(summary.resumedFrom).toBe(progress.next_date);
    expect(summary.days).toBe(5);
    expect(summary.pagesFailed).toBe(0);
    const done = await t.db.selectFrom('backfills').selectAll().executeTakeFirstOrThrow();
    expect(done).toMatchObject({ pages_done: 5, next_date: '2026-06-06' });
    expect(done.finished_at).not.toBeNull();
    // Every day crawled, none of the days finished before the crash fetched again.
    expect([...new Set(requests)].sort()).toEqual(days);
    expect(requests.filter((d) => d < progress.next_date)).toHaveLength(days.indexOf(progress.next_date));
    const papers = await t.db.selectFrom('papers').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(papers.n)).toBe(25);
  }, 180_000);

  it('refuses what it cannot do, clearly', async () => {
    const undated = await runCli(['backfill', '--source', 'undated', '--from', '2026-06-01', '--to', '2026-06-02'], env);
    expect(undated.code).toBe(2);
    expect(undated.stderr).toMatch(/has no \{date\} in its URLs/);
    const backwards = await runCli(['backfill', '--source', 'daily', '--from', '2026-06-05', '--to', '2026-06-01'], env);
    expect(backwards.stderr).toMatch(/--to is before --from/);
    const bad = await runCli(['backfill', '--source', 'daily', '--from', 'yesterday', '--to', '2026-06-01'], env);
    expect(bad.stderr).toMatch(/--from must be a date YYYY-MM-DD/);
  });
});
