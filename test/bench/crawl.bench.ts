/**
 * Crawl benchmark: pages/s through the real crawl queue and fetcher from a local server with
 * politeness limits off; the same crawl again answered with 304s (conditional GET), with its CPU
 * as a share of the full crawl's (`ratio`); the cost of archiving a page (brotli and one insert) and
 * of compressing it at each brotli quality (`archiveQualities`, the evidence for the archive's
 * choice). Prints one JSON line.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants as zlib } from 'node:zlib';
import { loadConfig } from '@paperboy/config';
import { ARCHIVE_BROTLI_OPTIONS, ArchiveRepository } from '@paperboy/db';
import { createLogger } from '@paperboy/logger';
import { deleteRedisPrefix } from '@paperboy/test-utils';
import { crawlAndWait, emptySummary, withPipeline } from '../../packages/cli/src/run-ingest.js';
import { freshDatabase } from './fresh-database.js';

const PAGES = Number(process.env.BENCH_CRAWL_PAGES ?? 200);

function runScript(name: string, args: string[]): Promise<void> {
  const child = spawn(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', fileURLToPath(new URL(`./${name}`, import.meta.url)), ...args],
    { stdio: 'inherit' },
  );
  return new Promise((resolve, reject) =>
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${name} exited with ${code}`)))),
  );
}

async function startStaticServer(dir: string): Promise<{ server: ChildProcess; port: number }> {
  const server = spawn(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', fileURLToPath(new URL('./static-server.ts', import.meta.url)), dir],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const port = await new Promise<number>((resolve) =>
    server.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))),
  );
  return { server, port };
}

async function startProfile(): Promise<{ stop(file: string): Promise<void> }> {
  const { Session } = await import('node:inspector/promises');
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  return {
    async stop(file) {
      const { profile } = await session.post('Profiler.stop');
      writeFileSync(file, JSON.stringify(profile));
      session.disconnect();
    },
  };
}

export async function benchCrawl(): Promise<Record<string, unknown>> {
  const base = loadConfig();
  const logger = createLogger({ level: process.env.LOG_LEVEL ?? 'warn', pretty: false });
  const dir = mkdtempSync(join(tmpdir(), 'paperboy-crawl-'));
  await runScript('make-pages.ts', [dir, String(PAGES), '50']);
  const { server, port } = await startStaticServer(dir);
  const urls = Array.from({ length: PAGES }, (_, i) => `http://127.0.0.1:${port}/papers/${i}`);

  const { url, db } = await freshDatabase(
    process.env.BENCH_DATABASE_URL ?? 'postgres://127.0.0.1:5432/paperboy_bench',
    'paperboy_bench_crawl',
    { max: 2 },
  );

  const config = Object.freeze({
    ...base,
    databaseUrl: url,
    queuePrefix: `bench-crawl-${Date.now()}`,
    fetch: Object.freeze({ ...base.fetch, allowPrivate: true }),
    sourcesPath: fileURLToPath(new URL('../fixtures/sources.test.yaml', import.meta.url)),
  });
  try {
    // Crawl only (fetch, robots, host limiter, archive, extract, enqueue): no processor runs.
    const result = await withPipeline(config, { logger, externalProcessors: true }, async (pipeline) => {
      const crawl = async () => {
        const summary = emptySummary(urls.length);
        const started = performance.now();
        const cpu = process.cpuUsage();
        await crawlAndWait(
          pipeline,
          urls.map((u) => ({ data: { source: 'hf-papers', url: u, trigger: 'cli' } })),
          summary,
          { waitForBatches: false },
        );
        if (summary.errors.length) throw new Error(JSON.stringify(summary.errors.slice(0, 3)));
        const used = process.cpuUsage(cpu);
        return { ms: performance.now() - started, cpuMs: (used.user + used.system) / 1000, summary };
      };
      const full = await crawl();
      // BENCH_CRAWL_PROFILE=<file.cpuprofile>: a CPU profile of the 304 re-crawl alone (Chrome DevTools format).
      const profile = process.env.BENCH_CRAWL_PROFILE ? await startProfile() : null;
      const conditional = await crawl(); // the server answers every page with 304
      if (profile) await profile.stop(process.env.BENCH_CRAWL_PROFILE!);
      if (conditional.summary.unchangedPages !== PAGES)
        throw new Error(`expected ${PAGES} unchanged pages, got ${conditional.summary.unchangedPages}`);
      return { full: full.ms, conditional: conditional.ms, fullCpu: full.cpuMs, conditionalCpu: conditional.cpuMs };
    });

    // Archiving alone: compress each page as the archive does and store it (distinct hashes: fresh inserts).
    const archive = new ArchiveRepository(db);
    await db.deleteFrom('page_bodies').execute();
    const files = readdirSync(dir)
      .slice(0, 100)
      .map((f) => readFileSync(join(dir, f)));
    let compressMs = 0;
    let storeMs = 0;
    let raw = 0;
    let stored = 0;
    for (const body of files) {
      let t = performance.now();
      const compressed = brotliCompressSync(body, ARCHIVE_BROTLI_OPTIONS);
      compressMs += performance.now() - t;
      raw += body.length;
      stored += compressed.length;
      t = performance.now();
      await archive.storeBody({
        contentHash: createHash('sha256').update(body).digest('hex'),
        encoding: 'br',
        body: compressed,
        bytes: body.length,
        contentType: 'text/html',
        fetchedAt: new Date(),
      });
      storeMs += performance.now() - t;
    }
    const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;
    // Each brotli quality on the same pages: CPU time (not wall: other work on the machine inflates that) and size.
    const archiveQualities: Record<string, { cpuMs: number; compression: number }> = {};
    for (const quality of [0, 1, 2, 3, 4, 5]) {
      const cpu = process.cpuUsage();
      let out = 0;
      for (const body of files)
        out += brotliCompressSync(body, {
          params: { [zlib.BROTLI_PARAM_QUALITY]: quality, [zlib.BROTLI_PARAM_MODE]: zlib.BROTLI_MODE_TEXT },
        }).length;
      const used = process.cpuUsage(cpu);
      archiveQualities[`q${quality}`] = {
        cpuMs: round((used.user + used.system) / 1000 / files.length, 2),
        compression: round(raw / out),
      };
    }
    return {
      // The 304 re-crawl's CPU as a share of a full crawl's (the aim: under 0.1).
      ratio: round(result.conditionalCpu / result.fullCpu, 3),
      pages: PAGES,
      pagesPerSec: round((PAGES / result.full) * 1000),
      msPerPage: round(result.full / PAGES, 2),
      conditionalPagesPerSec: round((PAGES / result.conditional) * 1000),
      conditionalMsPerPage: round(result.conditional / PAGES, 2),
      conditionalCostShare: round(result.conditional / result.full, 3),
      // CPU time of the crawling process: what a 304 saves the machine, beside the wall time above.
      cpuMsPerPage: round(result.fullCpu / PAGES, 2),
      conditionalCpuMsPerPage: round(result.conditionalCpu / PAGES, 2),
      conditionalCpuShare: round(result.conditionalCpu / result.fullCpu, 3),
      archiveCompressMsPerPage: round(compressMs / files.length, 2),
      archiveStoreMsPerPage: round(storeMs / files.length, 2),
      archiveKbPerPage: round(stored / files.length / 1024),
      archiveCompression: round(raw / stored),
      archiveQualities,
    };
  } finally {
    server.kill('SIGTERM');
    await db.destroy();
    await deleteRedisPrefix(config.redisUrl, config.queuePrefix);
    rmSync(dir, { recursive: true, force: true });
  }
}
