import { readFileSync } from 'node:fs';
import { createTestDatabase, deleteRedisPrefix, requireEnv, send, startFixtureServer, testQueuePrefix, withDatabase, type FixtureServer, type TestDatabase } from '@paperboy/test-utils';
import { connectionConfig } from '@paperboy/db';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { brotliCompressSync } from 'node:zlib';
import { sql } from 'kysely';
import { Redis } from 'ioredis';
import { lastJson, root, runCli, until } from './helpers.js';

const fixture = (path: string) => readFileSync(`${root}packages/sources/test/fixtures/${path}`);

let server: FixtureServer;
let t: TestDatabase;
let env: Record<string, string>;
const prefix = testQueuePrefix();

beforeAll(async () => {
  t = await createTestDatabase();
  server = await startFixtureServer({
    '/papers/date/2026-07-31': send(fixture('hf-papers/hf-papers-date-2026-07-31.html')),
    '/papers/date/2026-06-12': send(fixture('hf-papers/hf-papers-date-2026-06-12.html')),
    '/papers/truncated': send(fixture('hf-papers/broken-hf-papers-truncated-json.html')),
    '/papers/tricky': send(fixture('hf-papers/hf-papers-tricky-text.html')),
    '/papers/other': send(fixture('hf-papers/hf-papers-other-props-key.html')),
    '/list/cs.LG/new': send(fixture('arxiv-list/arxiv-list-cs.LG-new-2026-06-12.html')),
    '/api/daily_papers': send(fixture('hf-api/hf-api-daily_papers-limit30-2026-06-13.json'), 'application/json'),
    '/no-listing': send('<html><body><h1>Maintenance</h1></body></html>'),
    '/not-html': send('%PDF-1.7 binary', 'application/pdf'),
    '/huge': send(Buffer.alloc(10 * 1024 * 1024, ' ')),
    '/gone': send('gone', 'text/plain', 404),
    '/broken': send('oops', 'text/plain', 500),
    '/busy': (_req, res) => void res.writeHead(429, { 'retry-after': '1' }).end(),
    '/loop': (_req, res) => void res.writeHead(302, { location: '/loop2' }).end(),
    '/loop2': (_req, res) => void res.writeHead(302, { location: '/loop' }).end(),
    '/silent': () => {},
    '/hang': () => {},
  });
  env = {
    DATABASE_URL: t.url,
    REDIS_URL: requireEnv('TEST_REDIS_URL'),
    PAPERBOY_QUEUE_PREFIX: prefix,
    PAPERBOY_SOURCES: `${root}test/fixtures/sources.test.yaml`,
    PAPERBOY_FETCH_ALLOW_PRIVATE: '1',
    PAPERBOY_FETCH_TIMEOUT_MS: '1500',
    PAPERBOY_FETCH_ATTEMPTS: '2',
    LOG_LEVEL: 'warn',
  };
});

afterAll(async () => {
  await server?.close();
  await t?.drop();
  await deleteRedisPrefix(requireEnv('TEST_REDIS_URL'), prefix);
});

describe('paperboy CLI', () => {
  it('migrate creates a missing database, then is a no-op', async () => {
    const name = `${t.name}_fresh`;
    const url = withDatabase(requireEnv('TEST_DATABASE_URL'), name);
    try {
      const first = await runCli(['migrate'], { ...env, DATABASE_URL: url });
      expect(first.code).toBe(0);
      expect(lastJson(first.stdout)).toMatchObject({ database: name, created: true, applied: ['2026_11_28_0001_initial', '2026_11_28_0002_crawling', '2026_11_28_0003_subscriptions', '2026_11_28_0004_dashboard', '2026_11_28_0005_search', '2026_11_28_0006_dashboard_materialized', '2026_12_06_0007_link_security', '2026_12_06_0008_field_provenance', '2026_12_06_0010_subscription_flow', '2026_12_06_0011_growth_per_source', '2026_12_06_0012_handoff', '2026_12_06_0013_stuck_deliveries', '2026_12_06_0014_planned_deliveries', '2026_12_06_0015_sightings_partitioned', '2026_12_06_0017_trending_score'] });
      const second = await runCli(['migrate'], { ...env, DATABASE_URL: url });
      expect(lastJson(second.stdout)).toMatchObject({ created: false, applied: [] });
    } finally {
      const admin = new pg.Client(connectionConfig(requireEnv('TEST_DATABASE_URL')));
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin.end();
    }
  });

  it('ingests Hugging Face and arXiv listings into one record per paper, and exports them', async () => {
    const hf = await runCli(['ingest', '--source', 'hf-papers', '--url', `${server.url}/papers/date/2026-06-12`, '--url', `${server.url}/papers/date/2026-07-31`], env);
    expect(hf.code, hf.stderr).toBe(0);
    const hfSummary = lastJson(hf.stdout);
    expect(hfSummary).toMatchObject({ pages: 2, pagesFailed: 0, failed: 0, updated: 0, merged: 0 });
    expect(hfSummary.new).toBe(hfSummary.entries);
    expect(hfSummary.entries as number).toBeGreaterThan(20);

    const arxiv = await runCli(['ingest', '--source', 'arxiv-list', '--url', `${server.url}/list/cs.LG/new`], env);
    expect(arxiv.code, arxiv.stderr).toBe(0);
    const arxivSummary = lastJson(arxiv.stdout);
    expect(arxivSummary.merged as number).toBeGreaterThan(0);

    const exported = await runCli(['export', 'papers', '--format', 'jsonl'], env);
    expect(exported.code).toBe(0);
    const papers = exported.stdout.trim().split('\n').map((line) => JSON.parse(line));
    expect(papers.length).toBe((hfSummary.new as number) + (arxivSummary.new as number));
    for (const p of papers) {
      expect(Object.keys(p).sort()).toEqual(['abstract', 'arxivId', 'authors', 'firstSeenAt', 'lastSeenAt', 'sources', 'title', 'topics', 'upvotes'].sort());
      expect(p.title).not.toMatch(/\n|\s{2}|^Title:/);
    }
    const merged = papers.filter((p) => p.sources.length === 2);
    expect(merged.length).toBe(arxivSummary.merged);
    expect(merged[0].sources).toEqual(['arxiv-list', 'hf-papers']);
    const withTopics = papers.filter((p) => p.topics.length > 0);
    expect(withTopics.length / papers.length).toBeGreaterThan(0.8);
    const scores = withTopics[0].topics.map((x: { score: number }) => x.score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);

    // The same content again: a conditional GET or the unchanged content hash ends the crawl.
    const again = await runCli(['ingest', '--source', 'arxiv-list', '--url', `${server.url}/list/cs.LG/new`], env);
    expect(lastJson(again.stdout)).toMatchObject({ pages: 1, pagesFailed: 0, new: 0, unchangedPages: 1 });
    expect(again.code).toBe(0);
  });

  it('reads the HF API and falls back to cards when the embedded JSON is broken, saying so', async () => {
    const api = await runCli(['ingest', '--source', 'hf-api', '--url', `${server.url}/api/daily_papers`], env);
    expect(api.code, api.stderr).toBe(0);
    expect(lastJson(api.stdout).entries).toBe(30);
    const cards = await runCli(['ingest', '--source', 'hf-papers', '--url', `${server.url}/papers/truncated`, '--url', `${server.url}/papers/tricky`], env);
    expect(cards.code, cards.stderr).toBe(0);
    const summary = lastJson<{ warnings: string[]; entries: number }>(cards.stdout);
    expect(summary.warnings.join('\n')).toMatch(/card/i);
    expect(summary.entries).toBeGreaterThan(0);
  });

  it('reports every page that fails, keeps the good one, and exits non-zero', async () => {
    const bad = ['/no-listing', '/not-html', '/huge', '/gone', '/broken', '/busy', '/loop', '/silent'];
    const result = await runCli(
      ['ingest', '--source', 'hf-papers', '--url', `${server.url}/papers/other`, ...bad.flatMap((p) => ['--url', `${server.url}${p}`])],
      env,
    );
    expect(result.code).toBe(1);
    const summary = lastJson<{ pages: number; pagesFailed: number; errors: Array<{ url: string; error: string }>; warnings: string[]; entries: number }>(result.stdout);
    expect(summary.pages).toBe(9);
    expect(summary.pagesFailed).toBe(8);
    expect(summary.entries).toBeGreaterThan(0);
    const errorOf = (path: string) => summary.errors.find((e) => e.url.endsWith(path))?.error ?? '';
    expect(summary.warnings.join('\n')).toMatch(/no entries found/);
    expect(errorOf('/not-html')).toMatch(/application\/pdf/);
    expect(errorOf('/huge')).toMatch(/exceeds the limit/);
    expect(errorOf('/gone')).toMatch(/HTTP 404/);
    expect(errorOf('/broken')).toMatch(/HTTP 500/);
    expect(errorOf('/busy')).toMatch(/HTTP 429/);
    expect(errorOf('/loop')).toMatch(/redirects/);
    expect(errorOf('/silent')).toMatch(/within 1500 ms/);
    // Retryable failures were tried again, permanent ones were not.
    expect(server.hits.get('/broken')).toBe(2);
    expect(server.hits.get('/gone')).toBe(1);
    // Every attempt is recorded with its outcome.
    const rows = await t.db.selectFrom('page_fetches').select(['url', 'status', 'error']).where('url', 'like', '%/broken').execute();
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({ status: 500 });
  });

  it('on Ctrl-C, stops and removes its unfinished crawl jobs so no later run inherits them', async () => {
    const child = spawn('pnpm', ['paperboy', 'ingest', '--source', 'hf-papers', '--url', `${server.url}/hang`, '--url', `${server.url}/hang?2`], {
      cwd: root,
      env: { ...process.env, ...env, PAPERBOY_FETCH_TIMEOUT_MS: '60000', PAPERBOY_SHUTDOWN_TIMEOUT_MS: '2000' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // its own process group, as a terminal's Ctrl-C reaches the whole group
    });
    let log = '';
    child.stderr.on('data', (d) => (log += d));
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
    await until(async () => (server.hits.get('/hang') ?? 0) >= 1, 30_000, 'the crawl to start');
    process.kill(-child.pid!, 'SIGINT');
    await closed; // pnpm itself dies of the signal; the paperboy process holds the pipe until it is done
    expect(log).toMatch(/interrupted/);
    expect(log).toMatch(/"removed":2,"msg":"unfinished crawl jobs removed"/);
    const redis = new Redis(requireEnv('TEST_REDIS_URL'));
    const left = await redis.zcard(`${prefix}:crawl:delayed`) + (await redis.llen(`${prefix}:crawl:wait`)) + (await redis.llen(`${prefix}:crawl:active`));
    redis.disconnect();
    expect(left).toBe(0);
  });

  it('answers --help, unknown options and bad values with clear errors, not stack traces', async () => {
    const help = await runCli(['--help'], env);
    expect(help.code).toBe(0);
    for (const command of ['migrate', 'ingest', 'export', 'start', 'demo', 'reclassify']) expect(help.stdout).toContain(command);
    const ingestHelp = await runCli(['ingest', '--help'], env);
    expect(ingestHelp.stdout).toContain('--source <adapter>');
    expect(ingestHelp.stdout).toContain('hf-papers');
    const unknown = await runCli(['ingest', '--sauce', 'x'], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/Unknown option '--sauce'/);
    expect(unknown.stderr).not.toMatch(/\n\s+at /);
    const badSource = await runCli(['ingest', '--source', 'nope', '--url', 'https://example.org'], env);
    expect(badSource.code).toBe(2);
    expect(badSource.stderr).toMatch(/nope/);
    const badEnv = await runCli(['export', 'papers', '--format', 'jsonl'], { ...env, REDIS_URL: 'localhost:6379' });
    expect(badEnv.code).toBe(2);
    expect(badEnv.stderr).toMatch(/REDIS_URL="localhost:6379"/);
    const badFormat = await runCli(['export', 'papers', '--format', 'csv'], env);
    expect(badFormat.code).toBe(2);
    // Postgres not there: every command says so in one line, whichever path opened the database.
    for (const args of [['subscribers', 'list'], ['sources'], ['dashboard', 'status']]) {
      const down = await runCli(args, { ...env, DATABASE_URL: 'postgres://postgres@127.0.0.1:1/paperboy' });
      expect(down.code, args.join(' ')).toBe(1);
      expect(down.stderr, args.join(' ')).toMatch(/^paperboy: cannot reach Postgres \(connect ECONNREFUSED 127\.0\.0\.1:1\): is it running, and does DATABASE_URL point at it\?\n$/);
    }
  });

  it('says a missing subcommand is missing (also when given as an empty argument) and lists the valid ones', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['dashboard', ''], /^paperboy: dashboard: missing subcommand; expected refresh or status\nTry: pnpm paperboy dashboard --help\n$/],
      [['subscribers', ''], /^paperboy: subscribers: missing subcommand; expected add, list or remove\nTry: pnpm paperboy subscribers --help\n$/],
      [['digest', ' '], /^paperboy: digest: missing subcommand; expected run, preview, stuck or resend-stuck\n/],
      [['export', ''], /^paperboy: export: missing dataset; expected "papers"\n/],
      // An unknown one is still named.
      [['dashboard', 'refesh'], /^paperboy: dashboard: expected refresh or status, got "refesh"\n/],
      // A stray argument is refused, not ignored.
      [['digest', 'run', 'ada@example.org'], /^paperboy: digest run: unexpected ada@example.org \(run takes no address/],
    ];
    const results = await Promise.all(cases.map(([args]) => runCli(args, env)));
    results.forEach((result, i) => {
      const [args, message] = cases[i]!;
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr, args.join(' ')).toMatch(message);
      expect(result.stderr, args.join(' ')).not.toMatch(/got ""|got " "/);
      expect(result.stdout, args.join(' ')).toBe('');
    });
  }, 120_000);

  it('replay refuses a source it cannot know, listing the known ones, and still replays one removed from the sources file', async () => {
    // Pages archived under a source id the sources file no longer has (the test sources file has none).
    // The real capture and one entry without an id, which the adapter skips with a warning.
    const capture = JSON.parse(readFileSync(`${root}packages/sources/test/fixtures/hf-api/hf-api-daily_papers-limit30-2026-06-13.json`, 'utf8')) as unknown[];
    const body = Buffer.from(JSON.stringify([...capture, { paper: {} }]));
    await sql`
      INSERT INTO page_bodies (content_hash, encoding, body, bytes, stored_bytes, content_type, first_fetched_at, last_fetched_at)
      VALUES ('retired-source-test', 'br', ${brotliCompressSync(body)}, ${body.length}, 0, 'application/json', now(), now())`.execute(t.db);
    await sql`
      INSERT INTO page_fetches (source, adapter, url, status, bytes, content_hash, content_type, fetched_at, duration_ms)
      VALUES ('hf-api-retired', 'hf-api', ${`${server.url}/api/daily_papers?retired`}, 200, ${body.length}, 'retired-source-test', 'application/json', now() - interval '1 day', 1)`.execute(t.db);

    const unknown = await runCli(['replay', '--source', 'nope'], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stdout).toBe('');
    expect(unknown.stderr).toMatch(/^paperboy: replay: unknown source "nope" \(not in .*sources\.test\.yaml, not an adapter id, no pages fetched under it\); known: /);
    const known = /known: (.*)\n/.exec(unknown.stderr)![1]!.split(', ');
    // Adapter ids (what `ingest` records its pages under) and every source with fetches recorded.
    expect(known).toEqual(expect.arrayContaining(['arxiv-list', 'arxiv-rss', 'generic', 'hf-api', 'hf-api-retired', 'hf-papers']));
    expect(known).toEqual([...known].sort());
    expect(unknown.stderr).toMatch(/Try: pnpm paperboy replay --help/);

    const retired = await runCli(['replay', '--source', 'hf-api-retired'], env, 60_000);
    expect(retired.code, retired.stderr).toBe(0);
    expect(lastJson(retired.stdout)).toMatchObject({ pages: 1, pagesFailed: 0, entries: 30, failed: 0, errors: [] });
    // Warnings name their page, as ingest's do.
    expect(lastJson(retired.stdout).warnings).toEqual([`${server.url}/api/daily_papers?retired: hf-api: skipped 1 entries without paper.id`]);
  });
});
