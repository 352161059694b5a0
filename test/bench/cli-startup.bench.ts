/**
 * How long `paperboy --help` takes to print, started the three ways a user starts it: the compiled CLI
 * (`node packages/cli/dist/main.js`, what the image and the `paperboy` bin run; built first with `pnpm build`),
 * the TypeScript through tsx (what `pnpm paperboy` runs in a checkout), and an empty `node -e 0` for the floor.
 * Wall time and CPU time (user + system of the child) per run; medians of RUNS runs each.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RUNS = Number(process.env.BENCH_CLI_RUNS ?? 10);

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/**
 * Median wall and CPU milliseconds of `node <args>`, each run a fresh process started by bash, whose `times`
 * then reports its children's user and system time (the wall time includes bash's few milliseconds).
 */
function measure(args: string[]): { wallMs: number; cpuMs: number } {
  const quoted = [process.execPath, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
  const walls: number[] = [];
  const cpus: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = process.hrtime.bigint();
    const out = execFileSync('bash', ['-c', `${quoted} >/dev/null; times`], { cwd: ROOT, encoding: 'utf8' });
    walls.push(Number(process.hrtime.bigint() - start) / 1e6);
    // `times` prints the shell's own times, then its children's: "0m0.123s 0m0.045s".
    const children = out
      .trim()
      .split('\n')
      .at(-1)
      ?.match(/(\d+)m([\d.]+)s\s+(\d+)m([\d.]+)s/);
    if (!children) throw new Error(`unexpected output of times: ${out}`);
    const [, um, us, sm, ss] = children;
    cpus.push((Number(um) * 60 + Number(us) + Number(sm) * 60 + Number(ss)) * 1000);
  }
  return { wallMs: Math.round(median(walls)), cpuMs: Math.round(median(cpus)) };
}

export function benchCliStartup() {
  const compiled = `${ROOT}packages/cli/dist/main.js`;
  if (!existsSync(compiled)) throw new Error('packages/cli/dist/main.js is missing: run `pnpm build` first');
  const empty = measure(['-e', '0']);
  const dist = measure([compiled, '--help']);
  const tsx = measure(['--conditions=source', '--import', 'tsx', 'packages/cli/src/main.ts', '--help']);
  return {
    runs: RUNS,
    compiledHelpMs: dist.wallMs,
    compiledHelpCpuMs: dist.cpuMs,
    tsxHelpMs: tsx.wallMs,
    tsxHelpCpuMs: tsx.cpuMs,
    emptyNodeMs: empty.wallMs,
    emptyNodeCpuMs: empty.cpuMs,
  };
}
