/**
 * `pnpm bench [name]`: runs the benchmarks and prints one JSON line per benchmark.
 * ingest: pages through the real queue and workers, against a no-queue ceiling; again with 1 and 2
 *   processor processes (processors1/2EntriesPerSec); the crawl of a page step by step (steps).
 * crawl: crawl throughput with politeness off, 304-answered re-crawls (ratio: their CPU over a full
 *   crawl's), archive cost per page and each brotli quality's (archiveQualities); BENCH_CRAWL_PROFILE=<file>
 *   writes a CPU profile of the 304 re-crawl alone.
 * enqueue-parts: the crawl's enqueue stage part by part (payload check, job-id look-up, add); by name only.
 * classify: topic accuracy on the labelled set and classification speed.
 * personalize: simulated readers' precision@10, topics-only against the blended ranking (trending +
 *   their model), over seeds; how much trending still counts; prepareCandidate and rankForReader costs.
 * personalize-tune: the grid the ranking and training defaults were chosen from (tuning seeds); by name only.
 * near-duplicates: title similarity of distinct papers against typeset variants (the threshold's evidence).
 * digest: digests for 2,000 and 20,000 subscribers through a notifier process to an SMTP sink process, beside a same-run no-database ceiling.
 * events: 20,000 outbox events (2,000 papers) delivered to one webhook endpoint on a loopback receiver process by the
 *   notifier's webhook worker: events delivered/s, request p50/p95, beside the same signed POSTs sent from memory.
 * dashboard: the dashboard views on 1,000,000 papers and 20,000,000 sightings (slow to generate; run it alone).
 * serve: the read API and the dashboard page under autocannon load on the dashboard's data set; by name only.
 * ingest-scale: the ingest bench's pages through 1, 2 and 4 processor processes (BENCH_PROCESSORS); by name
 *   only (the ingest bench measures 1 and 2 itself).
 * cli-startup: `paperboy --help` compiled (after `pnpm build`) and through tsx, beside an empty node; by name only.
 * enrich-mark: what marking new papers due for enrichment adds to storing a batch (A/B, alternating); by name only.
 * Enrichment is off in every bench (PAPERBOY_ENRICH=none unless set): no bench asks the real arXiv or Hugging Face APIs.
 * digest-scale: the digest-scale e2e test's exact assertions at 10,000 subscribers (`pnpm test` runs
 *   it at 1,000 to stay inside CI's time): by name only, against TEST_DATABASE_URL/TEST_REDIS_URL
 *   (default: the local servers). BENCH_DIGEST_SCALE_SUBSCRIBERS changes the size.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { benchCrawl } from './crawl.bench.js';
import { benchIngest, benchIngestScale } from './ingest.bench.js';

const only = process.argv[2];
// Read by loadConfig when a bench builds its processes (and inherited by those it spawns).
process.env.PAPERBOY_ENRICH ??= 'none';

if (!only || only === 'ingest') {
  const result = await benchIngest();
  process.stdout.write(`${JSON.stringify({ bench: 'ingest', ...result })}\n`);
}
if (only === 'ingest-scale')
  process.stdout.write(`${JSON.stringify({ bench: 'ingest-scale', ...(await benchIngestScale()) })}\n`);
if (!only || only === 'crawl') {
  const result = await benchCrawl();
  process.stdout.write(`${JSON.stringify({ bench: 'crawl', ...result })}\n`);
}
if (only === 'enrich-mark')
  process.stdout.write(
    `${JSON.stringify({ bench: 'enrich-mark', ...(await (await import('./enrich-mark.js')).benchEnrichMark()) })}\n`,
  );
if (only === 'enqueue-parts')
  process.stdout.write(`${JSON.stringify(await (await import('./enqueue-parts.js')).benchEnqueueParts())}\n`);
if (!only || only === 'digest')
  process.stdout.write(
    `${JSON.stringify({ bench: 'digest', ...(await (await import('./digest.bench.js')).benchDigest()) })}\n`,
  );
if (!only || only === 'events')
  process.stdout.write(
    `${JSON.stringify({ bench: 'events', ...(await (await import('./events.bench.js')).benchEvents()) })}\n`,
  );
if (only === 'cli-startup')
  process.stdout.write(
    `${JSON.stringify({ bench: 'cli-startup', ...(await import('./cli-startup.bench.js')).benchCliStartup() })}\n`,
  );
if (!only || only === 'personalize') {
  const { benchPersonalize, benchRankingSpeed } = await import('./personalize.bench.js');
  process.stdout.write(
    `${JSON.stringify({ bench: 'personalize', ...benchPersonalize(), speed: benchRankingSpeed() })}\n`,
  );
}
if (only === 'personalize-tune') (await import('./personalize.bench.js')).tunePersonalize();
// Minutes of data generation at full scale: only when asked for by name.
if (only === 'dashboard')
  process.stdout.write(
    `${JSON.stringify({ bench: 'dashboard', ...(await (await import('./dashboard.bench.js')).benchDashboard()) })}\n`,
  );
if (only === 'serve')
  process.stdout.write(
    `${JSON.stringify({ bench: 'serve', ...(await (await import('./serve.bench.js')).benchServe()) })}\n`,
  );
if (only === 'digest-scale') {
  const run = spawnSync('pnpm', ['vitest', 'run', 'test/e2e/digest-scale.e2e.test.ts'], {
    cwd: fileURLToPath(new URL('../../', import.meta.url)),
    stdio: 'inherit',
    env: {
      ...process.env,
      TEST_DATABASE_URL: process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
      TEST_REDIS_URL: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
      PAPERBOY_DIGEST_SCALE_SUBSCRIBERS: process.env.BENCH_DIGEST_SCALE_SUBSCRIBERS ?? '10000',
    },
  });
  if (run.status !== 0) process.exitCode = 1;
}
// Each in its own process, so the ingest run above does not skew their timings.
for (const [name, file] of [
  ['classify', 'classify-eval.ts'],
  ['near-duplicates', 'near-duplicate-threshold.ts'],
]) {
  if (only && only !== name) continue;
  const run = spawnSync(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', fileURLToPath(new URL(`./${file}`, import.meta.url))],
    { stdio: 'inherit' },
  );
  if (run.status !== 0) process.exitCode = 1;
}
setTimeout(() => process.exit(), 100).unref();
