import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type FixtureServer, send, startFixtureServer, testEnvironment } from '@paperboy/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture, lastJson, root, runCli } from './helpers.js';

/** `paperboy ingest` before and during a run: the pacing warning, and progress only on a terminal. */

let server: FixtureServer;
let env: Record<string, string>;
let host: string;
const testEnv = testEnvironment();
const dir = mkdtempSync(join(tmpdir(), 'paperboy-progress-'));
const sourcesFile = (name: string, yaml: string) => {
  const path = join(dir, name);
  writeFileSync(path, yaml);
  return path;
};

beforeAll(async () => {
  await testEnv.start();
  const routes: Record<string, ReturnType<typeof send>> = {};
  for (let i = 0; i < 6; i++) routes[`/p/${i}`] = send(fixture('hf-papers/hf-papers-date-2026-07-31.html'));
  server = await startFixtureServer(routes);
  host = new URL(server.url).host;
  env = {
    ...testEnv.processEnv(),
    PAPERBOY_FETCH_ALLOW_PRIVATE: '1',
    PAPERBOY_PROCESSES: '1',
    LOG_LEVEL: '',
  };
  const migrated = await runCli(['migrate'], env);
  expect(migrated.code, migrated.stderr).toBe(0);
});

afterAll(async () => {
  await server?.close();
  await testEnv.stop();
});

const urls = (from: number, n: number) =>
  Array.from({ length: n }, (_, i) => ['--url', `${server.url}/p/${from + i}`]).flat();

describe('paperboy ingest: pacing and progress', () => {
  it('warns before a run the host limits pace (3 pages, one unknown host: at least 10 s), and the run takes that long', async () => {
    const paced = sourcesFile('paced.yaml', 'sources: []\n');
    const run = await runCli(['ingest', '--source', 'hf-papers', ...urls(0, 3)], { ...env, PAPERBOY_SOURCES: paced });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain(`3 pages on ${host} at one request per 5 s take at least 10 s`);
    expect(run.stderr).toContain('under `hosts:` in the sources file');
    expect(lastJson<{ durationMs: number }>(run.stdout).durationMs).toBeGreaterThanOrEqual(10_000);
  });

  it('says nothing of pacing for a host configured fast, and writes no progress when stderr is not a terminal', async () => {
    const fast = sourcesFile('fast.yaml', `hosts:\n  "${host}": { minDelay: 0s, concurrency: 4 }\nsources: []\n`);
    const run = await runCli(['ingest', '--source', 'hf-papers', ...urls(3, 3)], { ...env, PAPERBOY_SOURCES: fast });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toBe('');
    // stdout is exactly the JSON summary, one line.
    expect(run.stdout.split('\n')).toHaveLength(2);
    expect(lastJson<{ pages: number; durationMs: number }>(run.stdout)).toMatchObject({ pages: 3 });
    expect(lastJson<{ durationMs: number }>(run.stdout).durationMs).toBeLessThan(10_000);
  });

  it('shows progress on a terminal, redrawn in place', async () => {
    const fast = sourcesFile('fast-tty.yaml', `hosts:\n  "${host}": { minDelay: 0s, concurrency: 4 }\nsources: []\n`);
    const command = [
      process.execPath,
      '--conditions=source',
      '--import',
      'tsx',
      'packages/cli/src/main.ts',
      'ingest',
      '--source',
      'hf-papers',
      ...urls(0, 6),
    ].join(' ');
    // `script` runs the command on a pseudo-terminal: stderr (and stdout) are a TTY there.
    const output = await new Promise<string>((resolve, reject) => {
      const child = spawn('script', ['-qefc', command, '/dev/null'], {
        cwd: root,
        env: { ...process.env, ...env, PAPERBOY_SOURCES: fast },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (out += d));
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`exit ${code}: ${out}`))));
    });
    expect(output).toMatch(/\ringest: 0\/6 pages \(0%\) · 0 entries/);
    expect(output).toMatch(/\ringest: 6\/6 pages \(100%\) · \d+ entries · [\d.]+ pages\/s · done/);
    expect(output).toContain('\x1b[K');
    expect(output).toContain('"pages":6');
  });
});
