import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { createDb } from '@paperboy/db';
import {
  countRows,
  type FixtureServer,
  send,
  startFixtureServer,
  type TestDatabase,
  testEnvironment,
} from '@paperboy/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exited, fixture, lastJson, root, runCli, until } from './helpers.js';

/**
 * `--processes`: worker processes of `ingest` and `start`, really started, really killed. Pages are
 * served slowly and each process fetches one at a time, so the child gets pages of its own to fetch.
 */

const PAGES = 8;
const PAGE_DELAY_MS = 400;
let server: FixtureServer;
let t: TestDatabase;
let env: Record<string, string>;
const testEnv = testEnvironment();

const listing = fixture('hf-papers/hf-papers-date-2026-07-31.html');
/**
 * Pages are answered only once the gate is open (the test opens it when the worker process runs, which
 * takes seconds on a loaded machine), then slowly: the parent cannot have done all the work alone.
 */
let openGate: () => void = () => {};
let gate = Promise.resolve();
const closeGate = () => {
  gate = new Promise<void>((resolve) => {
    openGate = resolve;
  });
};
const slow =
  (delayMs: number) =>
  async (...args: Parameters<ReturnType<typeof send>>) => {
    await gate;
    await new Promise((r) => setTimeout(r, delayMs));
    return send(listing)(...args);
  };

beforeAll(async () => {
  t = await testEnv.start();
  const routes: Record<string, ReturnType<typeof slow>> = {};
  for (let i = 0; i < PAGES; i++) routes[`/p/${i}`] = slow(PAGE_DELAY_MS);
  for (let i = 0; i < PAGES; i++) routes[`/k/${i}`] = slow(PAGE_DELAY_MS);
  server = await startFixtureServer(routes);
  env = {
    ...testEnv.processEnv(),
    PAPERBOY_SOURCES: `${root}test/fixtures/sources.test.yaml`,
    PAPERBOY_FETCH_ALLOW_PRIVATE: '1',
    PAPERBOY_FETCH_CONCURRENCY: '1',
    PAPERBOY_PROCESSOR_CONCURRENCY: '1',
    PAPERBOY_BATCH_SIZE: '1',
    PAPERBOY_JOB_LOCK_MS: '2000',
    LOG_LEVEL: 'info',
  };
  const migrated = await runCli(['migrate'], env);
  expect(migrated.code, migrated.stderr).toBe(0);
});

afterAll(async () => {
  await server?.close();
  await testEnv.stop();
});

interface LogLine {
  msg?: string;
  name?: string;
  pid?: number;
  workerPid?: number;
  jobsCompleted?: number;
  [key: string]: unknown;
}
const logLines = (stderr: string): LogLine[] =>
  stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as LogLine);

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** The CLI as its own node process (not through pnpm, which does not pass SIGTERM on), output collected. */
function cli(
  args: string[],
  extra: Record<string, string> = {},
): ChildProcess & { out: () => string; err: () => string } {
  const child = spawn(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', 'packages/cli/src/main.ts', ...args],
    {
      cwd: root,
      env: { ...process.env, ...env, ...extra },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  return Object.assign(child, { out: () => out, err: () => err });
}

const workerPids = (stderr: string) =>
  logLines(stderr)
    .filter((l) => l.msg === 'worker process started')
    .map((l) => l.workerPid!);

/** Papers stored (arxiv_id is unique: a paper stored twice would show as a failed batch, not a second row). */
async function paperCount(): Promise<{ papers: number; sightings: number }> {
  const db = createDb(t.url);
  try {
    return { papers: await countRows(db, 'papers'), sightings: await countRows(db, 'sightings') };
  } finally {
    await db.destroy();
  }
}

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

describe('paperboy ingest --processes', () => {
  it('stores everything once, and the worker process really fetched and processed jobs', async () => {
    const urls = Array.from({ length: PAGES }, (_, i) => `${server.url}/p/${i}`);
    closeGate();
    const child = cli(['ingest', '--source', 'hf-papers', '--processes', '2', ...urls.flatMap((u) => ['--url', u])]);
    await until(
      async () =>
        logLines(child.err()).some((l) => l.name === 'paperboy-worker-1' && l.msg === 'worker process running'),
      60_000,
      'the worker process to run',
    );
    openGate();
    const { code } = await exited(child);
    const run = { code, stdout: child.out(), stderr: child.err() };
    expect(run.code, run.stderr).toBe(0);
    const summary = lastJson<{ pages: number; pagesFailed: number; entries: number; new: number; errors: unknown[] }>(
      run.stdout,
    );
    expect(summary).toMatchObject({ pages: PAGES, pagesFailed: 0, errors: [] });
    const { papers } = await paperCount();
    expect(papers).toBeGreaterThan(0);
    expect(summary.new).toBe(papers);
    expect(summary.entries).toBe(papers * PAGES);
    for (let i = 0; i < PAGES; i++) expect(server.hits.get(`/p/${i}`), `/p/${i} fetched once`).toBe(1);

    const lines = logLines(run.stderr);
    const [childPid] = workerPids(run.stderr);
    expect(childPid).toBeGreaterThan(0);
    expect(childPid).not.toBe(run.stderr && lines.find((l) => l.name === 'paperboy-ingest')?.pid);
    // The child's own log lines come through the parent's stderr, with its name and pid.
    expect(lines.some((l) => l.name === 'paperboy-worker-1' && l.pid === childPid)).toBe(true);
    const stopped = lines.find((l) => l.msg === 'worker process stopped');
    expect(stopped?.jobsCompleted, run.stderr.slice(-3000)).toBeGreaterThan(0);
    expect(alive(childPid!)).toBe(false);
  });

  it('loses nothing when a worker process is killed mid-run (SIGKILL): the run completes on the others', async () => {
    const urls = Array.from({ length: PAGES }, (_, i) => `${server.url}/k/${i}`);
    closeGate();
    const child = cli(['ingest', '--source', 'hf-papers', '--processes', '2', ...urls.flatMap((u) => ['--url', u])]);
    await until(
      async () =>
        logLines(child.err()).some((l) => l.name === 'paperboy-worker-1' && l.msg === 'worker process running'),
      60_000,
      'the worker process to run',
    );
    const [workerPid] = workerPids(child.err());
    openGate();
    // Killed while pages are still being fetched (both processes hold one, answered after PAGE_DELAY_MS).
    const kHits = () =>
      [...server.hits].filter(([path]) => path.startsWith('/k/')).reduce((n, [, hits]) => n + hits, 0);
    await until(async () => kHits() >= 4, 30_000, 'pages fetched');
    process.kill(workerPid!, 'SIGKILL');
    const { code } = await exited(child);
    expect(code, child.err().slice(-3000)).toBe(0);
    const summary = lastJson<{
      pages: number;
      pagesFailed: number;
      entries: number;
      errors: unknown[];
      warnings: string[];
    }>(child.out());
    const { papers } = await paperCount();
    expect(summary).toMatchObject({ pages: PAGES, pagesFailed: 0, errors: [] });
    expect(summary.entries).toBe(papers * PAGES);
    expect(summary.warnings.some((w) => /worker process 1 \(pid \d+\) died \(signal SIGKILL\)/.test(w))).toBe(true);
    expect(logLines(child.err()).some((l) => l.msg?.startsWith('worker process died'))).toBe(true);
  });

  it('does not wait out the shutdown deadline for a worker process that is still starting when the run ends', async () => {
    // One page answered at once: the run is usually over before the child has loaded.
    const run = await runCli(['ingest', '--source', 'hf-papers', '--processes', '2', '--url', `${server.url}/p/0`], {
      ...env,
      PAPERBOY_SHUTDOWN_TIMEOUT_MS: '60000',
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).not.toContain('forcing it');
    const stopped = logLines(run.stderr).find((l) => l.msg === 'worker process stopped');
    expect(stopped, run.stderr.slice(-2000)).toBeDefined();
    // Well under the 60 s deadline (the run itself takes a few seconds, the child's start-up a few more).
    expect(logLines(run.stderr).at(-1)!.time as number).toBeLessThan(
      (logLines(run.stderr)[0]!.time as number) + 45_000,
    );
  });

  it('refuses a bad --processes value with a usage error', async () => {
    for (const bad of ['0', '-1', 'abc', '1000']) {
      const run = await runCli(
        ['ingest', '--source', 'hf-papers', '--url', `${server.url}/p/0`, `--processes=${bad}`],
        env,
      );
      expect(run.code, bad).toBe(2);
      expect(run.stderr, bad).toContain(`ingest: --processes must be a whole number from 1 to 256, got "${bad}"`);
    }
    const start = await runCli(['start', '--processes', '0'], env);
    expect(start.code).toBe(2);
    expect(start.stderr).toContain('start: --processes must be a whole number from 1 to 256, got "0"');
    const setting = await runCli(['ingest', '--source', 'hf-papers', '--url', `${server.url}/p/0`], {
      ...env,
      PAPERBOY_PROCESSES: 'abc',
    });
    expect(setting.code).toBe(2);
    expect(setting.stderr).toContain('PAPERBOY_PROCESSES="abc": expected a whole number from 1 to 256');
  });
});

describe('paperboy start --processes', () => {
  it('reports its worker processes in /healthz, restarts one that dies, and leaves none running after SIGTERM', async () => {
    const port = await freePort();
    const child = cli(['start', '--processes', '3'], { PAPERBOY_SCHEDULES: '0', PAPERBOY_HEALTH_PORT: String(port) });
    try {
      const health = async () =>
        (await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()) as {
          processes: Array<{ index: number; pid: number; state: string; restarts: number }>;
          running: number;
        };
      await until(
        async () => (await health().catch(() => null))?.running === 2,
        40_000,
        'two worker processes running',
      );
      const before = await health();
      expect(before.processes.map((p) => p.index)).toEqual([1, 2]);
      const victim = before.processes[0]!;
      process.kill(victim.pid, 'SIGKILL');
      await until(
        async () => {
          const h = await health();
          return h.processes[0]!.restarts === 1 && h.processes[0]!.state === 'running';
        },
        40_000,
        'the dead worker process started again',
      );
      const after = await health();
      expect(after.processes[0]!.pid).not.toBe(victim.pid);
      expect(after.processes[1]!.pid).toBe(before.processes[1]!.pid);
      expect(child.err()).toContain('worker process died: restarting it');

      child.kill('SIGTERM');
      const { code } = await exited(child);
      expect(code, child.err().slice(-3000)).toBe(0);
      for (const p of after.processes) expect(alive(p.pid), `worker pid ${p.pid} after SIGTERM`).toBe(false);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('leaves no orphan when it is killed outright (SIGKILL): its worker processes stop on their own', async () => {
    const child = cli(['start', '--processes', '2'], { PAPERBOY_SCHEDULES: '0' });
    await until(
      async () =>
        logLines(child.err()).some((l) => l.name === 'paperboy-worker-1' && l.msg === 'worker process running'),
      60_000,
      'the worker process to run',
    );
    const [workerPid] = workerPids(child.err());
    child.kill('SIGKILL');
    await exited(child);
    await until(async () => !alive(workerPid!), 20_000, `worker pid ${workerPid} to exit after its parent was killed`);
  });
});
