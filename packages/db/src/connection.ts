import { userInfo } from 'node:os';
import { CompiledQuery, Kysely, type Migration, type MigrationResultSet, Migrator, PostgresDialect } from 'kysely';
import pg from 'pg';
import * as initial from './migrations/2026_11_28_0001_initial.js';
import * as crawling from './migrations/2026_11_28_0002_crawling.js';
import * as subscriptions from './migrations/2026_11_28_0003_subscriptions.js';
import * as dashboard from './migrations/2026_11_28_0004_dashboard.js';
import * as search from './migrations/2026_11_28_0005_search.js';
import * as dashboardMaterialized from './migrations/2026_11_28_0006_dashboard_materialized.js';
import * as linkSecurity from './migrations/2026_12_06_0007_link_security.js';
import * as fieldProvenance from './migrations/2026_12_06_0008_field_provenance.js';
import * as subscriptionFlow from './migrations/2026_12_06_0010_subscription_flow.js';
import * as growthPerSource from './migrations/2026_12_06_0011_growth_per_source.js';
import * as handoff from './migrations/2026_12_06_0012_handoff.js';
import * as stuckDeliveries from './migrations/2026_12_06_0013_stuck_deliveries.js';
import * as plannedDeliveries from './migrations/2026_12_06_0014_planned_deliveries.js';
import * as sightingsPartitioned from './migrations/2026_12_06_0015_sightings_partitioned.js';
import * as trendingScore from './migrations/2026_12_06_0017_trending_score.js';
import * as searchDocument from './migrations/2026_12_07_0018_search_document.js';
import * as crawlJobInstance from './migrations/2026_12_07_0019_crawl_job_instance.js';
import * as paperDetails from './migrations/2026_12_07_0020_paper_details.js';
import * as dashboardCodeStars from './migrations/2026_12_07_0021_dashboard_code_stars.js';
import * as enrichment from './migrations/2026_12_07_0022_enrichment.js';
import * as readerFeedback from './migrations/2026_12_07_0023_reader_feedback.js';
import * as events from './migrations/2026_12_07_0024_events.js';
import * as feedbackPrevious from './migrations/2026_12_07_0025_feedback_previous.js';
import type { Database } from './schema.js';

// int8 (bigserial ids, counts) as numbers: ids stay far below 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number.parseInt(value, 10));
// Dates (backfill ranges) as the YYYY-MM-DD text they are, not as midnight in the local time zone.
pg.types.setTypeParser(pg.types.builtins.DATE, (value) => value);

/** Listed explicitly (not read from a folder) so the set of migrations is fixed at build time. */
const migrations: Record<string, Migration> = {
  '2026_11_28_0001_initial': initial,
  '2026_11_28_0002_crawling': crawling,
  '2026_11_28_0003_subscriptions': subscriptions,
  '2026_11_28_0004_dashboard': dashboard,
  '2026_11_28_0005_search': search,
  '2026_11_28_0006_dashboard_materialized': dashboardMaterialized,
  '2026_12_06_0007_link_security': linkSecurity,
  '2026_12_06_0008_field_provenance': fieldProvenance,
  '2026_12_06_0010_subscription_flow': subscriptionFlow,
  '2026_12_06_0011_growth_per_source': growthPerSource,
  '2026_12_06_0012_handoff': handoff,
  '2026_12_06_0013_stuck_deliveries': stuckDeliveries,
  '2026_12_06_0014_planned_deliveries': plannedDeliveries,
  '2026_12_06_0015_sightings_partitioned': sightingsPartitioned,
  '2026_12_06_0017_trending_score': trendingScore,
  '2026_12_07_0018_search_document': searchDocument,
  '2026_12_07_0019_crawl_job_instance': crawlJobInstance,
  '2026_12_07_0020_paper_details': paperDetails,
  '2026_12_07_0021_dashboard_code_stars': dashboardCodeStars,
  '2026_12_07_0022_enrichment': enrichment,
  '2026_12_07_0023_reader_feedback': readerFeedback,
  '2026_12_07_0024_events': events,
  '2026_12_07_0025_feedback_previous': feedbackPrevious,
};

export type Db = Kysely<Database>;

/**
 * pg settings for a URL. A URL without a user name connects as the operating-system user,
 * as psql does (pg alone would send no user name at all).
 */
export function connectionConfig(databaseUrl: string): pg.ClientConfig {
  const url = new URL(databaseUrl);
  if (!url.username) url.username = encodeURIComponent(process.env.PGUSER || process.env.USER || userInfo().username);
  return { connectionString: url.toString() };
}

export interface DbOptions {
  /** Pool size; each concurrently processed job holds one connection for its transaction. */
  max?: number;
  applicationName?: string;
  /**
   * Told of every error on a pooled connection (Postgres restarted, the network dropped). Such an
   * error fails only the query in flight; the broken connection leaves the pool.
   */
  onConnectionError?: (error: Error) => void;
  /**
   * Postgres `statement_timeout` of every connection of this pool, in ms (sent at connect; 0 or
   * unset: none). A statement that runs longer is cancelled by Postgres with SQLSTATE 57014
   * (`isStatementTimeout`); the connection stays usable.
   */
  statementTimeoutMs?: number;
  /**
   * Turns Postgres's JIT compilation off for this pool's sessions: for short queries whose plans
   * carry a large estimated cost for branches that never run (the read API's gated search
   * branches), compiling costs 20 to 200 ms and saves nothing.
   */
  noJit?: boolean;
}

export function createDb(databaseUrl: string, options: DbOptions = {}): Db {
  const pool = new pg.Pool({
    ...connectionConfig(databaseUrl),
    max: options.max ?? 10,
    application_name: options.applicationName ?? 'paperboy',
    connectionTimeoutMillis: 10_000,
    ...(options.statementTimeoutMs ? { statement_timeout: options.statementTimeoutMs } : {}),
    ...(options.noJit ? { options: '-c jit=off' } : {}),
  });
  // pg emits 'error' on an idle client through the pool, and on a checked-out one (a transaction
  // between statements) on the client itself: unhandled, either kills the process.
  const onError = options.onConnectionError ?? (() => {});
  pool.on('error', (error) => onError(error));
  pool.on('connect', (client) => client.on('error', (error) => onError(error)));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  pools.set(db, pool);
  return db;
}

/** The pg pool under each Kysely that createDb made (for queryPrepared). */
const pools = new WeakMap<object, pg.Pool>();

/**
 * Runs `text` as a named prepared statement: each pooled connection parses (and Postgres plans)
 * it once, and every later run sends only the name and the values, not the text. For a query run
 * for many requests with the same text (one paper by id); `name` must be unique to `text` in the
 * process. On a Kysely not made by createDb (no pool to reach), an ordinary query.
 */
export async function queryPrepared<R>(
  db: Kysely<Database>,
  query: { name: string; text: string; values: readonly unknown[] },
): Promise<R[]> {
  const pool = pools.get(db);
  if (!pool) return (await db.executeQuery<R>(CompiledQuery.raw(query.text, [...query.values]))).rows;
  const result = await pool.query({ name: query.name, text: query.text, values: [...query.values] });
  return result.rows as R[];
}

/**
 * Whether Postgres cancelled the statement (SQLSTATE 57014, query_canceled): its statement_timeout
 * ran out, or someone cancelled it (pg_cancel_backend). Either way the query may succeed if asked again.
 */
export function isStatementTimeout(error: unknown): error is Error {
  return error instanceof Error && (error as { code?: unknown }).code === '57014';
}

/** Creates the database named in the URL when it does not exist (connecting to `postgres` to do so). */
export async function ensureDatabase(databaseUrl: string): Promise<{ created: boolean; name: string }> {
  const target = new URL(databaseUrl);
  const name = decodeURIComponent(target.pathname.replace(/^\//, '')) || 'postgres';
  const admin = new URL(databaseUrl);
  admin.pathname = '/postgres';
  const client = new pg.Client(connectionConfig(admin.toString()));
  try {
    await client.connect();
  } catch (error) {
    if (isLoginRefused(error)) throw new LoginRefusedError(databaseUrl, error);
    throw new DatabaseUnavailableError(
      `Postgres is not reachable at ${target.host || 'the local socket'}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (exists.rowCount) return { created: false, name };
    try {
      await client.query(`CREATE DATABASE ${quoteIdentifier(name)}`);
    } catch (error) {
      // Another process created it between our check and our CREATE.
      if ((error as { code?: string }).code !== '42P04') throw error;
      return { created: false, name };
    }
    return { created: true, name };
  } finally {
    await client.end();
  }
}

export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export function createMigrator(db: Kysely<any>): Migrator {
  return new Migrator({ db, provider: { getMigrations: async () => migrations } });
}

export class MigrationError extends Error {}

export class DatabaseUnavailableError extends Error {}

/** SQLSTATE of a refused login: invalid_password (28P01), invalid_authorization_specification (28000: no such role, pg_hba). */
const LOGIN_REFUSED_CODES: ReadonlySet<string> = new Set(['28P01', '28000']);

/** Whether Postgres answered and refused the login (a wrong user or password), rather than being out of reach. */
export function isLoginRefused(error: unknown): error is Error {
  return error instanceof Error && LOGIN_REFUSED_CODES.has((error as { code?: unknown }).code as string);
}

/** Postgres refused the login of DATABASE_URL's user: one line that names the user, whichever command met it. */
export class LoginRefusedError extends Error {
  constructor(databaseUrl: string, cause: Error) {
    const user = decodeURIComponent(new URL(connectionConfig(databaseUrl).connectionString!).username);
    super(
      `Postgres refused the login for user ${user}: ${cause.message} (check the user and password in DATABASE_URL)`,
      { cause },
    );
    this.name = 'LoginRefusedError';
  }
}

/** Runs every pending migration; throws with the failing migration's name. */
export async function migrateToLatest(db: Kysely<any>): Promise<MigrationResultSet> {
  const result = await createMigrator(db).migrateToLatest();
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error');
    throw new MigrationError(
      `migration ${failed?.migrationName ?? '(unknown)'} failed: ${(result.error as Error).message ?? String(result.error)}`,
      { cause: result.error },
    );
  }
  return result;
}

/** Names of migrations this code knows that the database has not run. */
export async function pendingMigrations(db: Kysely<any>): Promise<string[]> {
  const all = await createMigrator(db).getMigrations();
  return all.filter((m) => !m.executedAt).map((m) => m.name);
}

/** Error codes (pg's SQLSTATE or Node's) that mean the connection, not the statement, failed. */
const CONNECTION_LOST_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  '57P01', // admin_shutdown: terminated by a (fast or immediate) shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now: starting up or shutting down
]);

/**
 * Whether an error says Postgres could not be reached or dropped the connection (rather than
 * refusing the statement): such a failure is the server's, and redoing the work later succeeds.
 */
export function isConnectionLost(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error instanceof AggregateError) return error.errors.some(isConnectionLost);
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (CONNECTION_LOST_CODES.has(code) || code.startsWith('08'))) return true;
  return /^Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/.test(
    error.message,
  );
}

/** Resolves when Postgres answers a trivial query on a pooled connection (readiness checks). */
export async function ping(db: Kysely<any>): Promise<void> {
  await db.selectNoFrom((eb) => eb.lit(1).as('one')).execute();
}

export interface PostgresProbe {
  /** Resolves when Postgres answers `SELECT 1` within `timeoutMs`. */
  check(timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * A connection of its own for asking "does Postgres answer?": not from the pool, so a pool busy
 * with long transactions does not read as an outage. Reconnects on the next check after a failure.
 */
export function createPostgresProbe(databaseUrl: string): PostgresProbe {
  let client: pg.Client | null = null;
  const drop = () => {
    const broken = client;
    client = null;
    broken?.end().catch(() => {});
  };
  return {
    async check(timeoutMs) {
      let timer: NodeJS.Timeout | undefined;
      const attempt = (async () => {
        if (!client) {
          const fresh = new pg.Client({
            ...connectionConfig(databaseUrl),
            connectionTimeoutMillis: timeoutMs,
            application_name: 'paperboy probe',
          });
          fresh.on('error', () => {
            if (client === fresh) client = null;
          });
          client = fresh;
          await fresh.connect();
        }
        await client.query('SELECT 1');
      })();
      try {
        await Promise.race([
          attempt,
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error(`Postgres did not answer within ${timeoutMs} ms`)), timeoutMs);
          }),
        ]);
      } catch (error) {
        attempt.catch(() => {});
        drop();
        throw error;
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {
      const open = client;
      client = null;
      await open?.end().catch(() => {});
    },
  };
}
