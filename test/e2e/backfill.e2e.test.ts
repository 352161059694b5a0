import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestDatabase, testEnvironment } from '@paperboy/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadHfCapture, renderHfPapersPage } from '../../packages/sources/test/fixture-kit/index.js';
import { lastJson, root, runCli, until } from './helpers.js';

const capture = loadHfCapture('hf-api-daily_papers-limit30-2026-06-13.json');
const days = ['2026-06-01', '2026-06-02', '2026-06-03', '2026-06-04', '2026-06-05'];
const requests: string[] = [];
// Days the `flaky` source's server answers with a 500, and the days it was asked for.
const broken = new Set<string>();
const flakyRequests: string[] = [];
let server: Server;
let t: TestDatabase;
let env: Record<string, string>;
const testEnv = testEnvironment();

beforeAll(async () => {
  server = createServer((req, res) => {
    const flaky = /^\/flaky\/(\d{4}-\d{2}-\d{2})$/.exec(req.url ?? '')?.[1];
    if (flaky) {
      flakyRequests.push(flaky);
      if (broken.has(flaky)) return void res.writeHead(500).end('down');
      const i = days.indexOf(flaky);
      const body = renderHfPapersPage({
        documentTitle: flaky,
        heading: flaky,
        entries: capture.slice(i * 5, i * 5 + 5),
        props: { date: flaky },
      });
      return void res.writeHead(200, { 'content-type': 'text/html' }).end(body);
    }
    const day = /^\/papers\/date\/(\d{4}-\d{2}-\d{2})$/.exec(req.url ?? '')?.[1];
    if (!day) return void res.writeHead(404).end();
    requests.push(day);
    const i = days.indexOf(day);
    // Each day its own five papers; slow enough that a backfill can be killed part-way.
    const body = renderHfPapersPage({
      documentTitle: day,
      heading: day,
      entries: capture.slice(i * 5, i * 5 + 5),
      props: { date: day },
    });
    setTimeout(() => res.writeHead(200, { 'content-type': 'text/html' }).end(body), 400);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const dir = mkdtempSync(join(tmpdir(), 'paperboy-backfill-'));
  writeFileSync(
    join(dir, 'sources.yaml'),
    `defaults: { politeness: { concurrency: 4, minDelay: 0s } }\nsources:\n  - { id: daily, adapter: hf-papers, url: "${base}/papers/date/{date}", schedule: { every: 1h } }\n  - { id: undated, adapter: hf-papers, url: "${base}/papers", schedule: { every: 1h } }\n  - { id: flaky, adapter: hf-papers, url: "${base}/flaky/{date}", schedule: { every: 1h } }\n`,
  );
  t = await testEnv.start();
  env = {
    ...testEnv.processEnv(),
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
  await testEnv.stop();
});

describe('paperboy backfill', () => {
  it('crawls every day of a range, and resumes where it stopped after a crash', async () => {
    const args = ['backfill', '--source', 'daily', '--from', days[0]!, '--to', days[4]!];
    // First run, killed (SIGKILL, no cleanup) once two days are done.
    const child = spawn('pnpm', ['paperboy', ...args], {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let log = '';
    child.stderr.on('data', (d) => (log += d));
    const closed = new Promise((resolve) => child.on('close', resolve));
    await until(
      async () => (log.match(/"msg":"backfill progress"/g) ?? []).length >= 2,
      60_000,
      'two days of backfill',
    );
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
    const papers = await t.db
      .selectFrom('papers')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(papers.n)).toBe(25);
  }, 180_000);

  it('does not count a day with a failed page as done: a re-run redoes it, and says when the range is complete', async () => {
    type Summary = {
      pages: number;
      pagesFailed: number;
      resumedFrom: string | null;
      daysFailed: string[];
      alreadyDone: boolean;
    };
    const args = ['backfill', '--source', 'flaky', '--from', days[0]!, '--to', days[2]!];
    const once = { ...env, PAPERBOY_FETCH_ATTEMPTS: '1' };
    const progress = () =>
      t.db.selectFrom('backfills').selectAll().where('source', '=', 'flaky').executeTakeFirstOrThrow();

    // Every page refused (private addresses not allowed): nothing is done, exit 1.
    const refused = await runCli(args, { ...once, PAPERBOY_FETCH_ALLOW_PRIVATE: '0' }, 120_000);
    expect(refused.code, refused.stderr).toBe(1);
    expect(lastJson<Summary>(refused.stdout)).toMatchObject({
      pages: 3,
      pagesFailed: 3,
      daysFailed: days.slice(0, 3),
      alreadyDone: false,
    });
    expect(await progress()).toMatchObject({ next_date: days[0], finished_at: null });

    // The middle day fails: the days around it are stored, the cursor stays on it, exit 1.
    broken.add(days[1]!);
    const middle = await runCli(args, once, 120_000);
    expect(middle.code, middle.stderr).toBe(1);
    expect(lastJson<Summary>(middle.stdout)).toMatchObject({
      pages: 3,
      pagesFailed: 1,
      resumedFrom: null,
      daysFailed: [days[1]],
      alreadyDone: false,
    });
    expect(await progress()).toMatchObject({ next_date: days[1], finished_at: null });

    // Fixed: the re-run starts at the failed day and completes the range.
    broken.clear();
    flakyRequests.length = 0;
    const retried = await runCli(args, once, 120_000);
    expect(retried.code, retried.stderr).toBe(0);
    expect(lastJson<Summary>(retried.stdout)).toMatchObject({
      pages: 2,
      pagesFailed: 0,
      resumedFrom: days[1],
      daysFailed: [],
      alreadyDone: false,
    });
    expect([...flakyRequests].sort()).toEqual(days.slice(1, 3));
    const done = await progress();
    expect(done).toMatchObject({ next_date: days[3], pages_failed: 0 });
    expect(done.finished_at).not.toBeNull();

    // Nothing left to do: said so, nothing fetched.
    flakyRequests.length = 0;
    const again = await runCli(args, once, 120_000);
    expect(again.code, again.stderr).toBe(0);
    expect(lastJson<Summary>(again.stdout)).toMatchObject({
      pages: 0,
      resumedFrom: days[3],
      daysFailed: [],
      alreadyDone: true,
    });
    expect(flakyRequests).toEqual([]);

    // A range an older version marked finished although pages had failed is done again.
    await t.db.updateTable('backfills').set({ pages_failed: 7 }).where('source', '=', 'flaky').execute();
    const repaired = await runCli(args, once, 120_000);
    expect(repaired.code, repaired.stderr).toBe(0);
    expect(lastJson<Summary>(repaired.stdout)).toMatchObject({
      pages: 3,
      pagesFailed: 0,
      resumedFrom: null,
      alreadyDone: false,
    });
    expect(await progress()).toMatchObject({ next_date: days[3], pages_failed: 0 });
  }, 300_000);

  it('refuses what it cannot do, clearly', async () => {
    const undated = await runCli(
      ['backfill', '--source', 'undated', '--from', '2026-06-01', '--to', '2026-06-02'],
      env,
    );
    expect(undated.code).toBe(2);
    expect(undated.stderr).toMatch(/has no \{date\} in its URLs/);
    const backwards = await runCli(
      ['backfill', '--source', 'daily', '--from', '2026-06-05', '--to', '2026-06-01'],
      env,
    );
    expect(backwards.stderr).toMatch(/--to is before --from/);
    const bad = await runCli(['backfill', '--source', 'daily', '--from', 'yesterday', '--to', '2026-06-01'], env);
    expect(bad.stderr).toMatch(/--from must be a date YYYY-MM-DD/);
    const future = await runCli(['backfill', '--source', 'daily', '--from', '2026-06-01', '--to', '2999-01-01'], env);
    expect(future.code).toBe(2);
    expect(future.stderr).toMatch(/--to 2999-01-01 is in the future/);
  });
});
