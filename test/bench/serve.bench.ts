/**
 * The read API and the dashboard page under load: the API as deployed (its own process, started
 * like `pnpm --filter @paperboy/api start`) on the shared generated data set (1,000,000 papers and
 * 20,000,000 sightings by default; BENCH_SERVE_PAPERS / BENCH_SERVE_SIGHTINGS to change), reused
 * when the database already holds it. autocannon drives each endpoint variant with 50 connections
 * (BENCH_SERVE_CONNECTIONS) over loopback for BENCH_SERVE_SECONDS (10) after a 2-second warm-up.
 * Latency percentiles are computed here from every response's time (autocannon's own histogram
 * stops at p97.5 and leaves out non-2xx answers); any non-2xx answer counts as an error.
 * BENCH_SERVE_DATABASE names another database (default paperboy_bench_serve), e.g. for a small trial run.
 * Two passes: the API as deployed (answers kept 2 s), then the cacheable variants again with
 * PAPERBOY_READ_CACHE_MS=0 (every request a query: the cost of a miss). BENCH_SERVE_ONLY=text runs
 * only the variants whose path contains the text; BENCH_SERVE_CPU_PROF=dir has the API write a CPU profile.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '@paperboy/config';
import autocannon from 'autocannon';
import { sql } from 'kysely';
import { freshDatabase } from './fresh-database.js';
import { generateScaleData } from './scale-data.js';

const PAPERS = Number(process.env.BENCH_SERVE_PAPERS ?? 1_000_000);
const SIGHTINGS = Number(process.env.BENCH_SERVE_SIGHTINGS ?? 20_000_000);
const CONNECTIONS = Number(process.env.BENCH_SERVE_CONNECTIONS ?? 50);
const SECONDS = Number(process.env.BENCH_SERVE_SECONDS ?? 10);
const WARMUP_SECONDS = 2;
const DATABASE = process.env.BENCH_SERVE_DATABASE ?? 'paperboy_bench_serve';

export interface EndpointResult {
  requests: number;
  rps: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  /** autocannon's own p97.5 of the 2xx answers, as a cross-check of the percentiles computed here. */
  autocannonP97_5Ms: number;
  errors: number;
}

/** The endpoint variants, by the name the result uses; `:id` is replaced by a paper id drawn from the data. */
const ENDPOINTS = [
  '/api/papers?sort=trending',
  '/api/papers?sort=new',
  '/api/papers?sort=trending&topic=vision',
  '/api/papers?sort=new&topic=vision',
  '/api/papers?sort=trending&q=diffusion',
  '/api/papers?sort=new&q=diffusion',
  '/api/papers?sort=new&q=mechanistic%20circuits',
  // Words no paper holds: one, and a different one for every request (:word; no cache can help).
  '/api/papers?sort=new&q=zebra',
  '/api/papers?sort=trending&q=zebra',
  '/api/papers?sort=new&q=:word',
  '/api/trending?window=24h',
  '/api/trending?window=7d',
  '/api/papers/:id',
  '/dashboard',
  // The ceiling: what this process answers when a request costs no query (not an aim; for the analysis).
  '/healthz',
];

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function startApi(env: Record<string, string>): Promise<ChildProcess> {
  const entry = fileURLToPath(new URL('../../services/api/src/main.ts', import.meta.url));
  // BENCH_SERVE_CPU_PROF=dir: the API process writes a V8 CPU profile there when it exits (--cpu-prof).
  const profile = process.env.BENCH_SERVE_CPU_PROF
    ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_SERVE_CPU_PROF}`]
    : [];
  const child = spawn(process.execPath, [...profile, '--conditions=source', '--import', 'tsx', entry], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  await new Promise<void>((resolve, reject) => {
    let log = '';
    const onData = (d: Buffer) => {
      log += d.toString();
      if (!log.includes('API started')) return;
      child.stdout!.off('data', onData);
      child.stderr!.off('data', onData);
      child.stdout!.resume(); // its request log is written, as deployed, and dropped here
      child.stderr!.resume();
      resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`api exited with ${code}: ${log.slice(-1000)}`)));
  });
  return child;
}

async function load(
  url: string,
  path: string,
  ids: string[],
  headers: Record<string, string>,
  seconds: number,
): Promise<EndpointResult> {
  const times: number[] = [];
  let errors = 0;
  let next = 0;
  let done!: (result: autocannon.Result) => void;
  let failed!: (error: unknown) => void;
  const finished = new Promise<autocannon.Result>((resolve, reject) => {
    done = resolve;
    failed = reject;
  });
  const instance = autocannon(
    {
      url,
      connections: CONNECTIONS,
      duration: seconds,
      headers,
      requests: [
        {
          method: 'GET',
          setupRequest: (request) => ({
            ...request,
            path: path.includes(':id')
              ? path.replace(':id', ids[next++ % ids.length]!)
              : // A made-up word per request (letters only, so no stemming makes two the same).
                path.replace(':word', `zq${(next++).toString(36).replace(/\d/g, (d) => 'abcdefghij'[Number(d)]!)}`),
          }),
        },
      ],
    },
    (error, result) => (error ? failed(error) : done(result)),
  );
  instance.on('response', (_client, statusCode, _bytes, responseTime) => {
    times.push(responseTime);
    if (statusCode < 200 || statusCode > 299) errors++;
  });
  instance.on('reqError', () => errors++);
  const result = await finished;
  times.sort((a, b) => a - b);
  const round = (n: number) => Math.round(n * 10) / 10;
  return {
    requests: times.length,
    rps: Math.round(times.length / seconds),
    p50Ms: round(percentile(times, 50)),
    p95Ms: round(percentile(times, 95)),
    p99Ms: round(percentile(times, 99)),
    autocannonP97_5Ms: result.latency.p97_5,
    errors: errors + result.errors + result.timeouts,
  };
}

/** The variants whose answer the API may keep (read/cache.ts): every one but the paper by id and /healthz. */
const CACHEABLE = (path: string) => path !== '/api/papers/:id' && path !== '/healthz' && !path.includes(':word');
/** BENCH_SERVE_ONLY: run only the variants whose path contains this text (a trial of one endpoint). */
const ONLY = process.env.BENCH_SERVE_ONLY;

/** One pass over the variants against an API started with these extra environment variables. */
async function pass(
  databaseUrl: string,
  ids: string[],
  extraEnv: Record<string, string>,
  include: (path: string) => boolean = () => true,
): Promise<Record<string, EndpointResult>> {
  const port = await freePort();
  const adminToken = randomBytes(24).toString('base64url');
  const api = await startApi({
    DATABASE_URL: databaseUrl,
    PORT: String(port),
    HOST: '127.0.0.1',
    PAPERBOY_QUEUE_PREFIX: 'paperboy-bench-serve',
    PAPERBOY_ADMIN_TOKEN: adminToken,
    // One client sends every request here: the per-client read budget would answer 429s.
    PAPERBOY_READ_PER_MINUTE: '1000000',
    ...extraEnv,
  });
  const endpoints: Record<string, EndpointResult> = {};
  try {
    const url = `http://127.0.0.1:${port}`;
    for (const path of ENDPOINTS.filter((p) => include(p) && (!ONLY || p.includes(ONLY)))) {
      const headers: Record<string, string> = path === '/dashboard' ? { authorization: `Bearer ${adminToken}` } : {};
      await load(url, path, ids, headers, WARMUP_SECONDS);
      endpoints[path] = await load(url, path, ids, headers, SECONDS);
    }
  } finally {
    api.kill('SIGTERM');
    await new Promise((resolve) => api.once('exit', resolve));
  }
  return endpoints;
}

export async function benchServe() {
  const base = process.env.BENCH_DATABASE_URL ?? loadConfig().databaseUrl;
  const { url: databaseUrl, db } = await freshDatabase(base, DATABASE, {
    max: 2,
    keep: process.env.BENCH_SERVE_FRESH !== '1',
  });
  const data = await generateScaleData(db, DATABASE, { papers: PAPERS, sightings: SIGHTINGS });
  // Papers looked up by id: 20,000 drawn from the whole table, so nearly every request reads a
  // different paper (that answer is never cached; the database's buffers see a spread of pages).
  const ids = (
    await sql<{ arxiv_id: string }>`
      SELECT arxiv_id FROM papers WHERE arxiv_id IS NOT NULL ORDER BY random() LIMIT 20000`.execute(db)
  ).rows.map((r) => r.arxiv_id);
  const sightings = Number((await sql<{ n: number }>`SELECT count(*)::int AS n FROM sightings`.execute(db)).rows[0]!.n);
  await db.destroy();

  const cached = await pass(databaseUrl, ids, {});
  // The same endpoints with the answer cache off: every request is a database query (the cache's
  // misses, e.g. a search nobody asked for in the last 2 s). /api/papers/:id and /healthz are never
  // cached, so they are measured once.
  const uncached = await pass(databaseUrl, ids, { PAPERBOY_READ_CACHE_MS: '0' }, CACHEABLE);
  return {
    papers: data.papers,
    sightings,
    reusedData: data.reused,
    generateSeconds: data.generateSeconds,
    connections: CONNECTIONS,
    seconds: SECONDS,
    endpoints: cached,
    uncachedEndpoints: uncached,
  };
}
