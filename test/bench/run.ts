/**
 * `pnpm bench [name]`: runs the benchmarks and prints one JSON line per benchmark.
 * ingest: pages through the real queue and workers, against a no-queue ceiling.
 * classify: topic accuracy on the labelled set and classification speed.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { benchIngest } from './ingest.bench.js';

const only = process.argv[2];

if (!only || only === 'ingest') {
  const result = await benchIngest();
  process.stdout.write(`${JSON.stringify({ bench: 'ingest', ...result })}\n`);
}
if (!only || only === 'classify') {
  // Its own process, so the ingest run above does not skew its timings.
  const script = fileURLToPath(new URL('./classify-eval.ts', import.meta.url));
  const run = spawnSync(process.execPath, ['--import', 'tsx', script], { stdio: 'inherit' });
  if (run.status !== 0) process.exitCode = 1;
}
setTimeout(() => process.exit(), 100).unref();
