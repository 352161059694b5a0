/**
 * CPU accounting for one phase of a benchmark, in a process of its own (plain JavaScript: no tsx
 * start-up, and none of its reads cost the measured process). Started by cpu-accounting.ts with
 * `<root pid> <database> <excluded pid>...`; prints "ready" once it has its baseline, and on a line
 * "stop" on stdin prints one JSON line of CPU seconds by group and exits.
 *
 * Groups: `self` (the root process), `children` (its descendants, but not the excluded ones, this
 * sampler or their descendants), `postgresBackends` (backends whose process title names
 * `database`), `postgresAux` (Postgres's own processes: walwriter, checkpointer…, shared with all
 * databases) and `redis` (redis-server, shared likewise). Processes that exist at the start count
 * from their reading then; processes that appear later from zero. Every pid of interest is read
 * every 100 ms and the whole of /proc scanned every 500 ms, so a process that exits loses at most
 * its last 100 ms (a pool's backends exit when the run shuts down, before "stop").
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

const TICK = 100; // USER_HZ on Linux
const [rootArg, database, ...excludedArgs] = process.argv.slice(2);
const root = Number(rootArg);
const excluded = new Set([process.pid, ...excludedArgs.map(Number)]);

function readStat(pid) {
  try {
    const raw = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const close = raw.lastIndexOf(')');
    const comm = raw.slice(raw.indexOf('(') + 1, close);
    const fields = raw.slice(close + 2).split(' ');
    // After the name: state (field 3) is fields[0], so ppid (4) is fields[1], utime (14) fields[11], stime (15) fields[12].
    return { comm, ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) };
  } catch {
    return null;
  }
}

function title(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'latin1').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

/** pid → { group, start, last } for every process of interest seen so far. */
const tracked = new Map();
/** pids known to be of no interest (with their start ticks, to notice a reused pid: rare, ignored). */
const ignored = new Set();

/** The group of a process; null: of no interest; undefined: not known yet (look again at the next scan). */
function classify(pid, stat, parents, first) {
  if (pid === root) return 'self';
  if (stat.comm === 'redis-server') return 'redis';
  if (stat.comm === 'postgres') {
    const t = title(pid);
    // A process just forked by the postmaster still has its command line, not yet its title.
    if (!t.startsWith('postgres: ')) return first ? 'postgresAux' : undefined;
    // A backend's title: "postgres: [cluster: ]user database host(port) state".
    if (/\d+\.\d+\.\d+\.\d+\(\d+\)|\[local\]/.test(t))
      return t.split(' ').includes(database) ? 'postgresBackends' : null;
    return 'postgresAux';
  }
  for (let p = parents.get(pid); p !== undefined && p > 1; p = parents.get(p)) {
    if (excluded.has(p)) return null;
    if (p === root) return excluded.has(pid) ? null : 'children';
  }
  return null;
}

function scan(first) {
  const parents = new Map();
  const stats = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    if (tracked.has(pid) || ignored.has(pid)) continue;
    const stat = readStat(pid);
    if (stat) stats.set(pid, stat);
  }
  // Parents of every process, for the descendant check (tracked ones included).
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    const stat = stats.get(pid) ?? readStat(pid);
    if (stat) parents.set(pid, stat.ppid);
  }
  for (const [pid, stat] of stats) {
    const group = classify(pid, stat, parents, first);
    if (group === undefined) continue;
    if (group === null) {
      // A backend of another database, or an unrelated process: a later title or parent does not change that.
      ignored.add(pid);
      continue;
    }
    tracked.set(pid, { group, start: first ? stat.ticks : 0, last: stat.ticks });
  }
}

function refresh() {
  for (const [pid, entry] of tracked) {
    const stat = readStat(pid);
    if (stat) entry.last = stat.ticks;
  }
}

scan(true);
let rounds = 0;
const timer = setInterval(() => {
  if (++rounds % 5 === 0) scan(false);
  refresh();
}, 100);
process.stdout.write('ready\n');

const input = createInterface({ input: process.stdin });
// The benchmark died before asking (stdin closed): nothing to report, and no sampler left behind.
input.on('close', () => process.exit(0));
input.on('line', (line) => {
  if (line.trim() !== 'stop') return;
  clearInterval(timer);
  scan(false);
  refresh();
  const account = { self: 0, children: 0, postgresBackends: 0, postgresAux: 0, redis: 0, total: 0 };
  const counts = { backends: 0, childProcesses: 0 };
  for (const { group, start, last } of tracked.values()) {
    account[group] += (last - start) / TICK;
    if (group === 'postgresBackends') counts.backends++;
    if (group === 'children') counts.childProcesses++;
  }
  for (const key of ['self', 'children', 'postgresBackends', 'postgresAux', 'redis']) {
    account[key] = Math.round(account[key] * 100) / 100;
    account.total += account[key];
  }
  account.total = Math.round(account.total * 100) / 100;
  process.stdout.write(`${JSON.stringify({ ...account, ...counts })}\n`);
  process.exit(0);
});
