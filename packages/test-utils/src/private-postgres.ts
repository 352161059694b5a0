import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

const BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin';

/** A port nobody listens on right now (the OS picks it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface PrivatePostgres {
  /** postgres://postgres@127.0.0.1:<port>/postgres */
  url: string;
  port: number;
  /** `pg_ctl stop -m immediate`: every backend killed at once, as in a crash. */
  stopImmediate(): void;
  start(): void;
  /** Stops the server and deletes its data folder. */
  destroy(): void;
}

export interface PrivatePostgresOptions {
  /**
   * A hot standby of this server instead of a new cluster: `pg_basebackup -R` of it (streaming
   * replication, read-only queries allowed), started on a port of its own. The primary must have
   * been started with `replication: true`.
   */
  standbyOf?: PrivatePostgres;
  /** Lets standbys stream from this server (`wal_level=replica` and WAL senders). */
  replication?: boolean;
}

/**
 * A throwaway Postgres cluster of its own (initdb + pg_ctl on a free port, run as the `postgres`
 * user when we are root), for tests that stop and restart Postgres: the shared server is never touched.
 * With `standbyOf`, a streaming replica of another private cluster.
 */
export async function startPrivatePostgres(options: PrivatePostgresOptions = {}): Promise<PrivatePostgres> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), options.standbyOf ? 'paperboy-pg-standby-' : 'paperboy-pg-'));
  const data = join(dir, 'data');
  const asRoot = userInfo().uid === 0;
  const run = (tool: string, args: string[]) => {
    const command = asRoot
      ? (['runuser', ['-u', 'postgres', '--', join(BIN, tool), ...args]] as const)
      : ([join(BIN, tool), args] as const);
    execFileSync(command[0], [...command[1]], { stdio: 'pipe', cwd: dir });
  };
  if (asRoot) {
    const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres']).toString().trim());
    const [uid, gid] = [id('-u'), id('-g')];
    chownSync(dir, uid, gid);
    chmodSync(dir, 0o700);
  }
  if (options.standbyOf) {
    // -R writes standby.signal and primary_conninfo: the copy starts as a hot standby that streams
    // from the primary. (initdb --auth=trust allows local replication connections.)
    run('pg_basebackup', [
      '-h',
      '127.0.0.1',
      '-p',
      String(options.standbyOf.port),
      '-U',
      'postgres',
      '-D',
      data,
      '-R',
      '-X',
      'stream',
      '--no-sync',
    ]);
  } else {
    run('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  }
  const replication = options.replication ? ' -c wal_level=replica -c max_wal_senders=5' : '';
  const standby = options.standbyOf ? ' -c hot_standby=on' : '';
  const start = () =>
    run('pg_ctl', [
      '-D',
      data,
      '-l',
      join(dir, 'log'),
      '-w',
      '-t',
      '60',
      'start',
      '-o',
      `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off${replication}${standby}`,
    ]);
  start();
  let destroyed = false;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    stopImmediate: () => run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']),
    start,
    destroy: () => {
      if (destroyed) return;
      destroyed = true;
      try {
        run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } catch {
        // already stopped
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
