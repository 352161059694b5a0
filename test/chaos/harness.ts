/**
 * The chaos suite's world: a private Postgres cluster and a private Redis (AOF, fsync always),
 * both on free ports and started here (the shared servers are never touched), a local HTTP server
 * with PAGES listing pages of PER_PAGE papers each, a real SMTP server, and the fetcher, processor
 * and notifier services as separate processes (services/*\/src/main.ts), as docker-compose runs them.
 *
 * Each test gets a fresh database (cloned from a migrated template on the private cluster) and an
 * empty Redis, boots the three services, injects one fault, and then `expectFinalState` checks the
 * end state exactly. Waits poll with a generous deadline; nothing asserts on timing.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDb, type Db, migrateToLatest } from '@paperboy/db';
import { createRedis, QueueName, Queues } from '@paperboy/queue';
import {
  type FixtureServer,
  freePort,
  type PrivatePostgres,
  type PrivateRedis,
  type SmtpTestServer,
  type SmtpTestServerOptions,
  send,
  startFixtureServer,
  startPrivatePostgres,
  startPrivateRedis,
  startSmtpTestServer,
  withDatabase,
} from '@paperboy/test-utils';
import { sql } from 'kysely';
import pg from 'pg';
import { expect } from 'vitest';
import {
  type HfApiEntry,
  loadAllHfEntries,
  renderHfPapersPage,
} from '../../packages/sources/test/fixture-kit/index.js';
import { exited, spawnService, until } from '../e2e/helpers.js';

/** Size of the crawl: PAPERBOY_CHAOS_PAGES listing pages of 50 papers (CI runs the default). */
export const PAGES = Number(process.env.PAPERBOY_CHAOS_PAGES ?? 12);
export const PER_PAGE = 50;
export const EXPECTED_PAPERS = PAGES * PER_PAGE;
const SOURCE = 'chaos';
const PREFIX = 'chaos';

/** Every scheduler the three services declare between them, as queue/id. */
export const EXPECTED_SCHEDULERS = [
  'crawl/prune-archive-daily',
  'crawl/reconcile-crawls',
  `crawl/source-${SOURCE}`,
  'maintenance/dashboard-rebuild-nightly',
  'maintenance/dashboard-refresh',
  'planning/digest-planner-daily',
  'planning/digest-planner-weekly',
  'webhooks/events-prune',
  'webhooks/events-relay',
];

export type ServiceName = 'fetcher' | 'processor' | 'notifier';
type Child = ReturnType<typeof spawnService>;

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The arxiv id of entry i of page p (distinct across the crawl), as make-pages.ts numbers them. */
const arxivId = (p: number, i: number) => {
  const n = p * PER_PAGE + i;
  return `${2601 + Math.floor(n / 90000)}.${10000 + (n % 90000)}`;
};

function renderPages(): string[] {
  const templates = loadAllHfEntries();
  return Array.from({ length: PAGES }, (_, p) => {
    const entries: HfApiEntry[] = Array.from({ length: PER_PAGE }, (_, i) => {
      const n = p * PER_PAGE + i;
      const t = templates[n % templates.length]!;
      return {
        ...t,
        paper: { ...t.paper, id: arxivId(p, i), title: `${t.paper.title} (variant ${n})`, upvotes: n % 300 },
      };
    });
    return renderHfPapersPage({
      documentTitle: `Daily Papers ${p}`,
      heading: 'Daily Papers',
      entries,
      props: { date: '2026-11-28' },
    });
  });
}

export interface World {
  pg: PrivatePostgres;
  redis: PrivateRedis;
  fixture: FixtureServer;
  urls: string[];
  /** arxiv id → the listing URL it is on. */
  expectedListing: Map<string, string>;
  dir: string;
  close(): Promise<void>;
}

const TEMPLATE = 'chaos_template';

export async function startWorld(): Promise<World> {
  const dir = mkdtempSync(join(tmpdir(), 'paperboy-chaos-'));
  const pgServer = await startPrivatePostgres();
  const redis = await startPrivateRedis({ aof: true });
  const pages = renderPages();
  const routes = Object.fromEntries(pages.map((html, p) => [`/papers/${p}`, send(html)]));
  const fixture = await startFixtureServer(routes);
  const urls = pages.map((_, p) => `${fixture.url}/papers/${p}`);
  const expectedListing = new Map<string, string>();
  for (let p = 0; p < PAGES; p++) for (let i = 0; i < PER_PAGE; i++) expectedListing.set(arxivId(p, i), urls[p]!);
  writeFileSync(
    join(dir, 'sources.yaml'),
    `defaults:\n  politeness: { concurrency: 8, minDelay: 0s, robots: false }\nsources:\n` +
      `  - id: ${SOURCE}\n    adapter: hf-papers\n    schedule: { every: 1h }\n    urls:\n${urls.map((u) => `      - "${u}"\n`).join('')}`,
  );
  await admin(pgServer.url, `CREATE DATABASE ${TEMPLATE}`);
  const template = createDb(withDatabase(pgServer.url, TEMPLATE), { max: 1 });
  try {
    await migrateToLatest(template);
  } finally {
    await template.destroy();
  }
  return {
    pg: pgServer,
    redis,
    fixture,
    urls,
    expectedListing,
    dir,
    close: async () => {
      await fixture.close();
      await redis.close();
      pgServer.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function admin(serverUrl: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

/** A service process and what happened to the ones it replaced. */
interface Slot {
  child: Child;
  /** Earlier processes of this service, each with the signal we killed it with. */
  replaced: Array<{ child: Child; signal: NodeJS.Signals }>;
}

export interface Run {
  db: Db;
  env: Record<string, string>;
  smtp: SmtpTestServer;
  queues: Queues;
  service(name: ServiceName): Child;
  /** Sends `signal` (ours), waits for the exit, and starts the service again. */
  killAndRestart(name: ServiceName, signal?: NodeJS.Signals): Promise<void>;
  kill(name: ServiceName, signal: NodeJS.Signals): Promise<void>;
  start(name: ServiceName): void;
  /** Output of every process of every service so far (for failure messages). */
  logs(): string;
  count(query: 'papers' | 'sightings' | 'fetches'): Promise<number>;
  schedulers(): Promise<string[]>;
  /** Waits until the crawl is complete and every queue has drained. */
  settle(timeoutMs?: number): Promise<void>;
  expectFinalState(): Promise<void>;
  close(): Promise<void>;
}

let runs = 0;

export async function startRun(
  world: World,
  options: { smtp?: SmtpTestServerOptions; env?: Record<string, string> } = {},
): Promise<Run> {
  // An empty Redis with its AOF on (an earlier test may have restarted it empty, without AOF).
  await world.redis.restart({ aof: true });
  await world.redis.flushAll();
  const name = `chaos_${process.pid}_${++runs}`;
  await admin(world.pg.url, `CREATE DATABASE ${name} TEMPLATE ${TEMPLATE}`);
  const url = withDatabase(world.pg.url, name);
  const db = createDb(url, { max: 3 });
  const smtp = await startSmtpTestServer(options.smtp);
  const producer = createRedis(world.redis.url, 'producer');
  const queues = new Queues(producer, { prefix: PREFIX, fetchAttempts: 3 });
  const ports = { fetcher: await freePort(), processor: await freePort(), notifier: await freePort() };
  const env: Record<string, string> = {
    DATABASE_URL: url,
    REDIS_URL: world.redis.url,
    PAPERBOY_QUEUE_PREFIX: PREFIX,
    PAPERBOY_ENRICH: 'none',
    PAPERBOY_SOURCES: join(world.dir, 'sources.yaml'),
    PAPERBOY_FETCH_ALLOW_PRIVATE: '1',
    PAPERBOY_OUTBOX_DIR: join(world.dir, 'outbox'),
    SMTP_URL: smtp.url,
    PAPERBOY_SECRET: 'chaos-suite-secret-Vb4Nq8Zr2Lx6Tw9K',
    PAPERBOY_MAIL_PER_MINUTE: '100000',
    // Schedules are checked every 5 s (so an emptied Redis heals within the test), and a job held
    // by a killed process is handed on after its 10 s lock.
    PAPERBOY_SCHEDULE_CHECK_SECONDS: '5',
    PAPERBOY_JOB_LOCK_MS: '10000',
    PAPERBOY_SHUTDOWN_TIMEOUT_MS: '10000',
    PAPERBOY_RECONCILE_GRACE_MINUTES: '1',
    // A crawl left `running` by a killed fetcher is closed when a fetcher next starts, once older
    // than this (default 30 min: a fetcher restarted at once leaves it open until its next start).
    PAPERBOY_STALE_CRAWL_MS: '1000',
    LOG_LEVEL: 'warn',
    ...options.env,
  };
  const entry = (s: ServiceName) => `services/${s}/src/main.ts`;
  const spawnOne = (s: ServiceName) => spawnService(entry(s), { ...env, PAPERBOY_HEALTH_PORT: String(ports[s]) });
  const slots = {} as Record<ServiceName, Slot>;
  for (const s of ['processor', 'notifier', 'fetcher'] as const) slots[s] = { child: spawnOne(s), replaced: [] };

  const logs = () =>
    Object.entries(slots)
      .map(([s, slot]) =>
        [...slot.replaced.map((r) => r.child), slot.child]
          .map((c, i) => `--- ${s} #${i + 1}\n${c.output().slice(-3000)}`)
          .join('\n'),
      )
      .join('\n');

  const kill = async (s: ServiceName, signal: NodeJS.Signals) => {
    const slot = slots[s];
    slot.child.kill(signal);
    const how = await exited(slot.child);
    expect(how.signal, `${s} was to die of our ${signal}\n${slot.child.output().slice(-2000)}`).toBe(signal);
    slot.replaced.push({ child: slot.child, signal });
  };
  const start = (s: ServiceName) => {
    slots[s].child = spawnOne(s);
  };

  const scalar = async (query: ReturnType<typeof sql<{ n: number }>>) => (await query.execute(db)).rows[0]!.n;
  const count = (what: 'papers' | 'sightings' | 'fetches') =>
    scalar(
      what === 'papers'
        ? sql<{ n: number }>`SELECT count(*)::int AS n FROM papers`
        : what === 'sightings'
          ? sql<{ n: number }>`SELECT count(*)::int AS n FROM sightings`
          : sql<{ n: number }>`SELECT count(*)::int AS n FROM page_fetches WHERE enqueued_at IS NOT NULL`,
    );

  const schedulers = async () => {
    const all = await Promise.all(
      Object.values(QueueName).map(async (q) =>
        (await queues.get(q).getJobSchedulers(0, -1)).map((s) => `${q}/${s.key}`),
      ),
    );
    return all.flat().sort();
  };

  /**
   * Jobs not finished yet, over every queue, a job scheduler's runs excluded: its next delayed job, and
   * the run of a frequent one (the events relay, every second) caught waiting or active.
   */
  const pendingJobs = async () => {
    let pending = 0;
    for (const q of Object.values(QueueName)) {
      const jobs = await queues.get(q).getJobs(['waiting', 'active', 'prioritized', 'waiting-children', 'delayed']);
      pending += jobs.filter((job) => job && !job.repeatJobKey).length;
    }
    return pending;
  };

  const distinctPairs = () =>
    scalar(sql<{ n: number }>`SELECT count(*)::int AS n FROM (SELECT DISTINCT paper_id, listing FROM sightings) s`);

  const settle = async (timeoutMs = 150_000) => {
    await until(
      async () => {
        for (const [s, slot] of Object.entries(slots)) {
          if (slot.child.exitCode !== null || slot.child.signalCode !== null) throw new Error(`${s} died\n${logs()}`);
        }
        try {
          return (
            (await count('papers')) === EXPECTED_PAPERS &&
            (await distinctPairs()) === EXPECTED_PAPERS &&
            (await schedulers()).length === EXPECTED_SCHEDULERS.length &&
            (await pendingJobs()) === 0
          );
        } catch {
          return false; // Postgres or Redis still coming back
        }
      },
      timeoutMs,
      `the crawl to complete (${EXPECTED_PAPERS} papers) and the queues to drain\n${logs()}`,
    );
  };

  const expectFinalState = async () => {
    // Every expected paper present, once.
    const papers = await sql<{ arxivId: string }>`SELECT arxiv_id AS "arxivId" FROM papers ORDER BY arxiv_id`.execute(
      db,
    );
    expect(papers.rows.map((r) => r.arxivId)).toEqual([...world.expectedListing.keys()].sort());
    // Every paper seen on its own listing, and only there.
    const pairs = await sql<{ arxivId: string; listing: string }>`
      SELECT DISTINCT p.arxiv_id AS "arxivId", s.listing FROM sightings s JOIN papers p ON p.id = s.paper_id`.execute(
      db,
    );
    expect(pairs.rows.length).toBe(EXPECTED_PAPERS);
    for (const r of pairs.rows) expect(r.listing, r.arxivId).toBe(world.expectedListing.get(r.arxivId));
    // No sighting twice for one observation (paper, source, listing, seen_at).
    const dupes = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM (SELECT 1 FROM sightings GROUP BY paper_id, source, listing, seen_at HAVING count(*) > 1) d`.execute(
      db,
    );
    expect(dupes.rows[0]!.n).toBe(0);
    // Every observation of a page is whole: all its PER_PAGE papers, none half-stored.
    const observations = await sql<{ listing: string; seenAt: Date; n: number }>`
      SELECT listing, seen_at AS "seenAt", count(*)::int AS n FROM sightings GROUP BY listing, seen_at`.execute(db);
    expect(observations.rows.filter((o) => o.n !== PER_PAGE)).toEqual([]);
    expect(new Set(observations.rows.map((o) => o.listing))).toEqual(new Set(world.urls));
    // Nothing left half-done in the queues or in the crawls table.
    expect(await pendingJobs()).toBe(0);
    const open = await sql<{
      id: number;
      outcome: string;
    }>`SELECT id, outcome FROM crawls WHERE outcome IN ('running', 'retrying')`.execute(db);
    expect(open.rows).toEqual([]);
    // All schedules present.
    expect(await schedulers()).toEqual(EXPECTED_SCHEDULERS);
    // No process dead: each service runs, and every process that ended died of our signal.
    for (const [s, slot] of Object.entries(slots)) {
      expect({ service: s, exitCode: slot.child.exitCode, signal: slot.child.signalCode }, logs()).toEqual({
        service: s,
        exitCode: null,
        signal: null,
      });
      for (const r of slot.replaced) expect(r.child.signalCode).toBe(r.signal);
    }
  };

  return {
    db,
    env,
    smtp,
    queues,
    service: (s) => slots[s].child,
    kill,
    start,
    killAndRestart: async (s, signal = 'SIGKILL') => {
      await kill(s, signal);
      start(s);
    },
    logs,
    count,
    schedulers,
    settle,
    expectFinalState,
    close: async () => {
      await Promise.all(
        Object.values(slots).map(async (slot) => {
          slot.child.kill('SIGTERM');
          const timer = setTimeout(() => slot.child.kill('SIGKILL'), 20_000);
          await exited(slot.child);
          clearTimeout(timer);
        }),
      );
      await queues.close().catch(() => {});
      producer.disconnect();
      await smtp.close();
      await db.destroy();
      await admin(world.pg.url, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => {});
    },
  };
}

/** Polls until `check` holds; Postgres or Redis being away counts as "not yet". */
export async function eventually(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  await until(async () => check().catch(() => false), timeoutMs, what);
}
