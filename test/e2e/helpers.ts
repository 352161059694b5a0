import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';

export const root = fileURLToPath(new URL('../../', import.meta.url));

/** A captured page or answer of packages/sources/test/fixtures (e.g. `hf-api/…json`), as bytes. */
export const fixture = (path: string): Buffer => readFileSync(`${root}packages/sources/test/fixtures/${path}`);

/** The Hugging Face API's daily_papers answer with 30 papers (a real capture), which most e2e tests serve. */
export const hfApiListing = (): Buffer => fixture('hf-api/hf-api-daily_papers-limit30-2026-06-13.json');

/** Fetch settings for crawling the tests' own fixture servers (on 127.0.0.1, hence private addresses allowed). */
export const localFetch = {
  userAgent: 'paperboy-test',
  timeoutMs: 5000,
  maxBytes: 1024 * 1024,
  maxRedirects: 3,
  allowPrivate: true,
};

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `pnpm paperboy …` exactly as a user or a script would. */
export function runCli(args: string[], env: Record<string, string>, timeoutMs = 60_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('pnpm', ['paperboy', ...args], {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`paperboy ${args.join(' ')} did not finish in ${timeoutMs} ms\n${stderr}`));
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The JSON object on the last line of stdout. */
export function lastJson<T = Record<string, unknown>>(stdout: string): T {
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]!) as T;
}

/** Starts a service entrypoint (e.g. services/processor/src/main.ts) as its own process. */
export function spawnService(entry: string, env: Record<string, string>): ChildProcess & { output: () => string } {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', entry], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  return Object.assign(child, { output: () => output });
}

export function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null)
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

export async function until(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/**
 * Ingest jobs of overlapping listings, as many crawled pages queue them: job j holds papers
 * j·step … j·step + perJob − 1, so most papers appear in more than one job. Ids start at
 * 2608.<firstId> (10000 unless given); job ids are `<name>-<j>`. Every paper shares one title
 * suffix and one abstract (about efficient transformers unless given).
 */
export function overlappingIngestJobs(
  name: string,
  given: { jobs: number; perJob: number; step: number; firstId?: number; title?: string; abstract?: string },
) {
  const o = {
    firstId: 10000,
    title: 'efficient transformers for language modeling',
    abstract: 'We study attention. '.repeat(40),
    ...given,
  };
  return Array.from({ length: o.jobs }, (_, j) => ({
    jobId: `${name}-${j}`,
    data: {
      source: 'hf-papers',
      listing: `https://example.test/list/${j}`,
      fetchId: null,
      seenAt: new Date(Date.UTC(2026, 7, 1, 0, j)).toISOString(),
      contentHash: `hash-${j}`,
      chunk: 0,
      entries: Array.from({ length: o.perJob }, (_, i) => {
        const n = j * o.step + i;
        return {
          rank: i + 1,
          arxivId: `2608.${String(o.firstId + n)}`,
          title: `Paper number ${n}: ${o.title}`,
          abstract: o.abstract,
          authors: [`Author ${n}`, 'Common Author'],
          upvotes: j,
        };
      }),
    },
  }));
}

/** Crawl jobs still waiting, delayed or active under a queue prefix (0 once an interrupted run has cleaned up). */
export async function crawlJobsLeft(redisUrl: string, prefix: string): Promise<number> {
  const redis = new Redis(redisUrl);
  try {
    return (
      (await redis.zcard(`${prefix}:crawl:delayed`)) +
      (await redis.llen(`${prefix}:crawl:wait`)) +
      (await redis.llen(`${prefix}:crawl:active`))
    );
  } finally {
    redis.disconnect();
  }
}
