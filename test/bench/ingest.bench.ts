/**
 * Ingest benchmark: 400 Hugging Face listing pages of 50 entries, served from a local HTTP
 * server, through the real queue and workers; and a ceiling: the same pages fetched, read by the
 * same adapter and written with one multi-row upsert per page, no queue. The headline is `paperboy
 * ingest` as it runs by default (PAPERBOY_PROCESSES processes: the machine's cores); the same ingest
 * in one process, with the processor in 1 and in 2 processes of their own, and the crawl of a page step by step
 * (`steps`, crawl-steps.ts). Prints one JSON line.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '@paperboy/config';
import type { Db } from '@paperboy/db';
import { fetchPage } from '@paperboy/http';
import { createLogger } from '@paperboy/logger';
import { normalizeEntry } from '@paperboy/pipeline';
import { createPage, getAdapter } from '@paperboy/sources';
import { deleteRedisPrefix } from '@paperboy/test-utils';
import { sql } from 'kysely';
import { runIngest } from '../../packages/cli/src/run-ingest.js';
import { type CpuAccount, startCpuAccounting } from './cpu-accounting.js';
import { measureCrawlSteps } from './crawl-steps.js';
import { freshDatabase } from './fresh-database.js';

const PAGES = Number(process.env.BENCH_PAGES ?? 400);
const PER_PAGE = 50;
/** Pages the step-by-step measurement reads (the first five are its warm-up). */
const STEP_PAGES = 105;

function rssSampler() {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => {
    // memoryUsage.rss() alone: the full memoryUsage() (heap statistics too) every 20 ms cost the
    // measured process about 0.5 s of CPU in one benchmark (three runs).
    const rss = process.memoryUsage.rss();
    if (rss > peak && process.env.BENCH_DEBUG)
      console.error(
        JSON.stringify(
          Object.fromEntries(Object.entries(process.memoryUsage()).map(([k, v]) => [k, Math.round(v / 1048576)])),
        ),
      );
    peak = Math.max(peak, rss);
  }, 20);
  return {
    stop: () => {
      clearInterval(timer);
      return Math.round((peak / 1024 / 1024) * 10) / 10;
    },
  };
}

/** The ceiling: fetch, the adapter (as the fetcher calls it, from the bytes), normalize, one multi-row upsert per page, `concurrency` pages at a time. */
async function ceiling(
  db: Db,
  urls: string[],
  concurrency: number,
  fetchSettings: Parameters<typeof fetchPage>[1],
): Promise<number> {
  const adapter = getAdapter('hf-papers');
  let next = 0;
  let entries = 0;
  const worker = async () => {
    while (next < urls.length) {
      const url = urls[next++]!;
      const page = await fetchPage(url, fetchSettings);
      const { entries: raw } = adapter.extract(createPage(page.finalUrl, page.body, page.contentType));
      const rows = raw.flatMap((r) => {
        const n = normalizeEntry(r);
        return n.ok ? [n.entry] : [];
      });
      entries += rows.length;
      await sql`
        INSERT INTO papers (arxiv_id, title, title_key, abstract, authors, upvotes, comments, first_seen_at, last_seen_at)
        SELECT u.arxiv_id, u.title, u.title_key, u.abstract, ARRAY(SELECT jsonb_array_elements_text(u.authors)), u.upvotes, u.comments, now(), now()
        FROM unnest(${rows.map((r) => r.arxivId)}::text[], ${rows.map((r) => r.title)}::text[], ${rows.map((r) => r.titleKey)}::text[],
                    ${rows.map((r) => r.abstract)}::text[], ${rows.map((r) => JSON.stringify(r.authors))}::jsonb[],
                    ${rows.map((r) => r.upvotes)}::int[], ${rows.map((r) => r.comments)}::int[])
          AS u(arxiv_id, title, title_key, abstract, authors, upvotes, comments)
        ON CONFLICT (arxiv_id) DO UPDATE SET upvotes = EXCLUDED.upvotes, last_seen_at = now()`.execute(db);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return entries;
}

export async function benchIngest(): Promise<Record<string, unknown>> {
  const base = loadConfig();
  const logger = createLogger({ level: process.env.LOG_LEVEL ?? 'warn', pretty: false });
  // Pages are generated and served by other processes: neither costs the measured process anything.
  const dir = mkdtempSync(join(tmpdir(), 'paperboy-bench-'));
  await runScript('make-pages.ts', [dir, String(PAGES), String(PER_PAGE)]);
  const bytes = readdirSync(dir).reduce((n, f) => n + statSync(join(dir, f)).size, 0);
  const { server, port } = await startStaticServer(dir);
  const urls = Array.from({ length: PAGES }, (_, i) => `http://127.0.0.1:${port}/papers/${i}`);
  const benchDbUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://127.0.0.1:5432/paperboy_bench';
  const exclude = [server.pid!];
  /** CPU seconds a thousand entries, by process group. */
  const perKiloEntry = (a: CpuAccount, entries: number) =>
    Object.fromEntries(
      Object.entries(a).map(([k, v]) =>
        k === 'backends' || k === 'childProcesses' ? [k, v] : [k, Math.round((v / entries) * 1000 * 1000) / 1000],
      ),
    );

  try {
    // End to end: crawl jobs, fetcher, ingest jobs, processor, all in this process as `paperboy ingest` runs them.
    const pipelineDb = await freshDatabase(benchDbUrl, 'paperboy_bench', { max: 12 });
    await pipelineDb.db.destroy();
    const config = Object.freeze({
      ...base,
      databaseUrl: pipelineDb.url,
      queuePrefix: `bench-${Date.now()}`,
      fetch: Object.freeze({ ...base.fetch, allowPrivate: true }),
      // Politeness limits off: the benchmark measures the pipeline, not the delays.
      sourcesPath: fileURLToPath(new URL('../fixtures/sources.test.yaml', import.meta.url)),
    });
    const rss = rssSampler();
    // How busy the main thread was (the share of the run it was not idle) and the CPU of all the
    // process's threads (brotli runs on libuv's pool): the evidence for or against a thread pool.
    const elu = performance.eventLoopUtilization();
    const cpu = process.cpuUsage();
    const oneAccount = await startCpuAccounting('paperboy_bench', exclude);
    const summary = await runIngest(config, 'hf-papers', urls, { logger });
    const oneProcessCpu = await oneAccount.stop();
    const used = process.cpuUsage(cpu);
    const eventLoopUtilization = Math.round(performance.eventLoopUtilization(elu).utilization * 100) / 100;
    const processCores = Math.round(((used.user + used.system) / 1000 / summary.durationMs) * 100) / 100;
    const peakRssMb = rss.stop();
    await deleteRedisPrefix(config.redisUrl, config.queuePrefix);

    // The same pages with the processor in 1 and 2 processes of their own, as a deployment runs it.
    const processorsEntriesPerSec: number[] = [];
    for (const n of process.env.BENCH_SKIP_SPLIT ? [] : [1, 2]) {
      const splitDb = await freshDatabase(benchDbUrl, `paperboy_bench_split_${n}`, { max: 12 });
      await splitDb.db.destroy();
      const splitConfig = Object.freeze({
        ...config,
        databaseUrl: splitDb.url,
        queuePrefix: `bench-split-${n}-${Date.now()}`,
      });
      const processors = await Promise.all(Array.from({ length: n }, () => spawnProcessor(splitConfig)));
      const split = await runIngest(splitConfig, 'hf-papers', urls, { logger, externalProcessors: true });
      for (const p of processors) p.kill('SIGTERM');
      await deleteRedisPrefix(config.redisUrl, splitConfig.queuePrefix);
      if (split.errors.length || split.new !== PAGES * PER_PAGE)
        throw new Error(`run with ${n} processor processes incomplete: ${JSON.stringify(split).slice(0, 500)}`);
      processorsEntriesPerSec.push(Math.round(split.entries / (split.durationMs / 1000)));
    }
    const [processors1EntriesPerSec, processors2EntriesPerSec] = processorsEntriesPerSec as [
      number | undefined,
      number | undefined,
    ];

    // As `paperboy ingest` runs by default: this process and PAPERBOY_PROCESSES - 1 worker processes
    // (the machine's cores), each with a fetcher and a processor.
    const multiDb = await freshDatabase(benchDbUrl, 'paperboy_bench_processes', { max: 12 });
    await multiDb.db.destroy();
    const multiConfig = Object.freeze({
      ...config,
      databaseUrl: multiDb.url,
      queuePrefix: `bench-processes-${Date.now()}`,
    });
    const multiRss = rssSampler();
    const multiAccount = await startCpuAccounting('paperboy_bench_processes', exclude);
    const multi = await runIngest(multiConfig, 'hf-papers', urls, { logger, processes: base.processes });
    const multiCpu = await multiAccount.stop();
    const multiPeakRssMb = multiRss.stop();
    await deleteRedisPrefix(config.redisUrl, multiConfig.queuePrefix);
    if (multi.errors.length || multi.new !== PAGES * PER_PAGE)
      throw new Error(`run with ${base.processes} processes incomplete: ${JSON.stringify(multi).slice(0, 500)}`);
    const processesEntriesPerSec = multi.entries / (multi.durationMs / 1000);

    // The crawl of a page step by step, one page at a time (nothing else running here).
    const stepsDb = await freshDatabase(benchDbUrl, 'paperboy_bench_steps', { max: 2 });
    const stepsPrefix = `bench-steps-${Date.now()}`;
    const steps = process.env.BENCH_SKIP_STEPS
      ? undefined
      : await measureCrawlSteps({
          urls: urls.slice(0, STEP_PAGES),
          db: stepsDb.db,
          redisUrl: config.redisUrl,
          queuePrefix: stepsPrefix,
          fetch: { ...config.fetch, accept: 'text/html' },
          batchSize: config.batchSize,
        });
    await stepsDb.db.destroy();
    await deleteRedisPrefix(config.redisUrl, stepsPrefix);

    if (summary.errors.length || summary.new !== PAGES * PER_PAGE)
      throw new Error(`pipeline run incomplete: ${JSON.stringify(summary).slice(0, 500)}`);
    const entriesPerSec = summary.entries / (summary.durationMs / 1000);

    if (process.env.BENCH_SKIP_CEILING)
      return {
        entriesPerSec: Math.round(entriesPerSec),
        peakRssMb,
        eventLoopUtilization,
        processCores,
        processors1EntriesPerSec,
        processors2EntriesPerSec,
        steps,
      };
    const ceilingDb = await freshDatabase(benchDbUrl, 'paperboy_bench_ceiling', { max: 12 });
    const started = Date.now();
    const ceilingAccount = await startCpuAccounting('paperboy_bench_ceiling', exclude);
    const entries = await ceiling(ceilingDb.db, urls, config.fetch.concurrency, {
      ...config.fetch,
      allowPrivate: true,
    });
    const ceilingEntriesPerSec = entries / ((Date.now() - started) / 1000);
    const ceilingCpu = await ceilingAccount.stop();
    await ceilingDb.db.destroy();

    return {
      pages: PAGES,
      entries: summary.entries,
      pageKb: Math.round(bytes / PAGES / 1024),
      seconds: Math.round(summary.durationMs) / 1000,
      // The headline: `paperboy ingest` as it runs by default on this machine.
      processes: base.processes,
      entriesPerSec: Math.round(processesEntriesPerSec),
      ceilingEntriesPerSec: Math.round(ceilingEntriesPerSec),
      ratio: Math.round((processesEntriesPerSec / ceilingEntriesPerSec) * 100) / 100,
      peakRssMb: multiPeakRssMb,
      // The same in one process (--processes 1), as earlier sessions measured it.
      oneProcessEntriesPerSec: Math.round(entriesPerSec),
      oneProcessRatio: Math.round((entriesPerSec / ceilingEntriesPerSec) * 100) / 100,
      oneProcessPeakRssMb: peakRssMb,
      eventLoopUtilization,
      processCores,
      processors1EntriesPerSec,
      processors2EntriesPerSec,
      // CPU seconds a thousand entries by process group (cpu-accounting.ts): the default run, one
      // process, and the ceiling. Postgres's auxiliary processes and redis-server are shared with
      // anything else running on the machine.
      cpuPerKiloEntries: {
        processes: perKiloEntry(multiCpu, multi.entries),
        oneProcess: perKiloEntry(oneProcessCpu, summary.entries),
        ceiling: perKiloEntry(ceilingCpu, entries),
      },
      steps,
    };
  } finally {
    server.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * How ingest scales with processor processes: the same pages crawled by this process (fetcher only)
 * and processed by 1, 2, 4… separate processor processes (BENCH_PROCESSORS, default "1,2,4"), a fresh
 * database each time. Prints entries/s per count; on a 2-core machine expect the curve to flatten at 2.
 */
export async function benchIngestScale(): Promise<Record<string, unknown>> {
  const base = loadConfig();
  const logger = createLogger({ level: process.env.LOG_LEVEL ?? 'warn', pretty: false });
  const counts = (process.env.BENCH_PROCESSORS ?? '1,2,4').split(',').map(Number);
  const dir = mkdtempSync(join(tmpdir(), 'paperboy-bench-'));
  await runScript('make-pages.ts', [dir, String(PAGES), String(PER_PAGE)]);
  const { server, port } = await startStaticServer(dir);
  const urls = Array.from({ length: PAGES }, (_, i) => `http://127.0.0.1:${port}/papers/${i}`);
  const benchDbUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://127.0.0.1:5432/paperboy_bench';
  const entriesPerSec: Record<string, number> = {};
  try {
    for (const n of counts) {
      const fresh = await freshDatabase(benchDbUrl, `paperboy_bench_scale_${n}`, { max: 12 });
      await fresh.db.destroy();
      const config = Object.freeze({
        ...base,
        databaseUrl: fresh.url,
        queuePrefix: `bench-scale-${n}-${Date.now()}`,
        fetch: Object.freeze({ ...base.fetch, allowPrivate: true }),
        sourcesPath: fileURLToPath(new URL('../fixtures/sources.test.yaml', import.meta.url)),
      });
      const processors = await Promise.all(Array.from({ length: n }, () => spawnProcessor(config)));
      const run = await runIngest(config, 'hf-papers', urls, { logger, externalProcessors: true });
      for (const p of processors) p.kill('SIGTERM');
      await deleteRedisPrefix(config.redisUrl, config.queuePrefix);
      if (run.errors.length || run.new !== PAGES * PER_PAGE)
        throw new Error(`run with ${n} processors incomplete: ${JSON.stringify(run).slice(0, 500)}`);
      entriesPerSec[String(n)] = Math.round(run.entries / (run.durationMs / 1000));
    }
    return { pages: PAGES, entries: PAGES * PER_PAGE, processorProcesses: counts, entriesPerSec };
  } finally {
    server.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A processor process, resolved once it has started (its start-up is not part of the measurement). */
async function spawnProcessor(config: {
  databaseUrl: string;
  redisUrl: string;
  queuePrefix: string;
}): Promise<ChildProcess> {
  const entry = fileURLToPath(new URL('../../services/processor/src/main.ts', import.meta.url));
  const child = spawn(
    process.execPath,
    [
      ...(process.env.BENCH_PROFILE_PROCESSOR ? ['--cpu-prof', '--cpu-prof-dir=/tmp/procprof'] : []),
      '--conditions=source',
      '--import',
      'tsx',
      entry,
    ],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: {
        ...process.env,
        DATABASE_URL: config.databaseUrl,
        REDIS_URL: config.redisUrl,
        PAPERBOY_QUEUE_PREFIX: config.queuePrefix,
        LOG_LEVEL: 'info',
      },
    },
  );
  await new Promise<void>((resolve, reject) => {
    let log = '';
    const onData = (d: Buffer) => {
      log += d.toString();
      if (!log.includes('processor started')) return;
      child.stderr!.off('data', onData);
      child.stderr!.resume(); // discard its later log lines
      resolve();
    };
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`processor exited with ${code}: ${log.slice(-500)}`)));
  });
  return child;
}

function runScript(name: string, args: string[]): Promise<void> {
  const script = fileURLToPath(new URL(`./${name}`, import.meta.url));
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', script, ...args], {
    stdio: 'inherit',
  });
  return new Promise((resolve, reject) =>
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${name} exited with ${code}`)))),
  );
}

async function startStaticServer(dir: string): Promise<{ server: ChildProcess; port: number }> {
  const script = fileURLToPath(new URL('./static-server.ts', import.meta.url));
  const server = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', script, dir], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
    server.once('exit', (code) => reject(new Error(`static server exited with ${code}`)));
  });
  return { server, port };
}
