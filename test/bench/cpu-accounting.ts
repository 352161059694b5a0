/**
 * CPU seconds by process group during one phase of a benchmark (Linux /proc), measured by a
 * sampler process of its own (cpu-sampler.mjs) so that reading /proc costs the measured processes
 * nothing: this process, its descendants (worker processes, spawned processors), the Postgres
 * backends of the phase's database, Postgres's auxiliary processes and redis-server (those two
 * shared with anything else on the machine).
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export interface CpuAccount {
  self: number;
  children: number;
  postgresBackends: number;
  postgresAux: number;
  redis: number;
  total: number;
  backends: number;
  childProcesses: number;
}

/** Starts accounting for `database`'s backends and this process's descendants (but not `exclude`, e.g. the page server). */
export async function startCpuAccounting(
  database: string,
  exclude: readonly number[] = [],
): Promise<{ stop(): Promise<CpuAccount> }> {
  const script = fileURLToPath(new URL('./cpu-sampler.mjs', import.meta.url));
  const sampler = spawn(process.execPath, [script, String(process.pid), database, ...exclude.map(String)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: sampler.stdout! })[Symbol.asyncIterator]();
  const next = async (): Promise<string> => {
    const line = await lines.next();
    if (line.done) throw new Error('the CPU sampler exited early');
    return line.value;
  };
  if ((await next()) !== 'ready') throw new Error('the CPU sampler did not start');
  return {
    async stop() {
      sampler.stdin!.write('stop\n');
      return JSON.parse(await next()) as CpuAccount;
    },
  };
}
