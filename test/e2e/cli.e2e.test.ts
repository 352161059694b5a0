import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync } from 'node:zlib';
import { buildApi } from '@paperboy/api';
import { loadConfig } from '@paperboy/config';
import { loadTaxonomy } from '@paperboy/pipeline';
import { createRedis } from '@paperboy/queue';
import {
  type FixtureServer,
  requireEnv,
  send,
  startFixtureServer,
  type TestDatabase,
  testEnvironment,
} from '@paperboy/test-utils';
import { sql } from 'kysely';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crawlJobsLeft, fixture, hfApiListing, lastJson, root, runCli, until } from './helpers.js';

let server: FixtureServer;
let t: TestDatabase;
let env: Record<string, string>;
const testEnv = testEnvironment();
const { prefix, redisUrl } = testEnv;

beforeAll(async () => {
  t = await testEnv.start();
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
    ...testEnv.processEnv(),
    PAPERBOY_SOURCES: `${root}test/fixtures/sources.test.yaml`,
    PAPERBOY_FETCH_ALLOW_PRIVATE: '1',
    PAPERBOY_FETCH_TIMEOUT_MS: '1500',
    PAPERBOY_FETCH_ATTEMPTS: '2',
    LOG_LEVEL: 'warn',
  };
});

afterAll(async () => {
  await server?.close();
  await testEnv.stop();
});

/** `paperboy ingest --source <source>` with a --url for each path of the fixture server. */
const ingest = (source: string, paths: string[]) =>
  runCli(['ingest', '--source', source, ...paths.flatMap((path) => ['--url', `${server.url}${path}`])], env);

/** The fields of an exported paper, in the order scripts read them: those it always had, then the details (issue 13). */
const EXPORTED_FIELDS = [
  'arxivId',
  'title',
  'abstract',
  'authors',
  'upvotes',
  'topics',
  'sources',
  'firstSeenAt',
  'lastSeenAt',
  'codeUrl',
  'codeStars',
  'projectPage',
  'aiSummary',
  'aiKeywords',
  'organization',
  'submittedBy',
  'thumbnail',
  'mediaUrls',
  'primaryCategory',
  'arxivComments',
  'journalRef',
  'doi',
  'license',
  'latestVersion',
];

describe('paperboy CLI', () => {
  it('migrate creates a missing database, then is a no-op', async () => {
    const name = `${t.name}_fresh`;
    const fresh = testEnv.otherDatabase(name);
    const url = fresh.url;
    try {
      const first = await runCli(['migrate'], { ...env, DATABASE_URL: url });
      expect(first.code).toBe(0);
      expect(lastJson(first.stdout)).toMatchObject({
        database: name,
        created: true,
        applied: [
          '2026_11_28_0001_initial',
          '2026_11_28_0002_crawling',
          '2026_11_28_0003_subscriptions',
          '2026_11_28_0004_dashboard',
          '2026_11_28_0005_search',
          '2026_11_28_0006_dashboard_materialized',
          '2026_12_06_0007_link_security',
          '2026_12_06_0008_field_provenance',
          '2026_12_06_0010_subscription_flow',
          '2026_12_06_0011_growth_per_source',
          '2026_12_06_0012_handoff',
          '2026_12_06_0013_stuck_deliveries',
          '2026_12_06_0014_planned_deliveries',
          '2026_12_06_0015_sightings_partitioned',
          '2026_12_06_0017_trending_score',
          '2026_12_07_0018_search_document',
          '2026_12_07_0019_crawl_job_instance',
          '2026_12_07_0020_paper_details',
          '2026_12_07_0021_dashboard_code_stars',
          '2026_12_07_0022_enrichment',
          '2026_12_07_0023_reader_feedback',
          '2026_12_07_0024_events',
          '2026_12_07_0025_feedback_previous',
        ],
      });
      const second = await runCli(['migrate'], { ...env, DATABASE_URL: url });
      expect(lastJson(second.stdout)).toMatchObject({ created: false, applied: [] });
    } finally {
      await fresh.drop();
    }
  });

  it('ingests Hugging Face and arXiv listings into one record per paper, and exports them', async () => {
    const hf = await ingest('hf-papers', ['/papers/date/2026-06-12', '/papers/date/2026-07-31']);
    expect(hf.code, hf.stderr).toBe(0);
    const hfSummary = lastJson(hf.stdout);
    expect(hfSummary).toMatchObject({ pages: 2, pagesFailed: 0, failed: 0, updated: 0, merged: 0 });
    expect(hfSummary.new).toBe(hfSummary.entries);
    expect(hfSummary.entries as number).toBeGreaterThan(20);

    const arxiv = await ingest('arxiv-list', ['/list/cs.LG/new']);
    expect(arxiv.code, arxiv.stderr).toBe(0);
    const arxivSummary = lastJson(arxiv.stdout);
    expect(arxivSummary.merged as number).toBeGreaterThan(0);

    const exported = await runCli(['export', 'papers', '--format', 'jsonl'], env);
    expect(exported.code).toBe(0);
    const papers = exported.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(papers.length).toBe((hfSummary.new as number) + (arxivSummary.new as number));
    for (const p of papers) {
      // The fields a paper always had first, in their order, then what the sources give and the links.
      expect(Object.keys(p)).toEqual([...EXPORTED_FIELDS, 'links']);
      expect(p.title).not.toMatch(/\n|\s{2}|^Title:/);
      // Seen on a loopback listing: the paper's link is arXiv's page, the listing only where it was seen.
      if (p.arxivId) {
        expect(p.links.paper).toBe(`https://arxiv.org/abs/${p.arxivId}`);
        expect(p.links.pdf).toBe(`https://arxiv.org/pdf/${p.arxivId}`);
        expect(p.links.seenAt ?? '').not.toMatch(/^https:\/\/arxiv\.org/);
      }
    }
    // Hugging Face gives code links (github.com/declare-lab/sigma-mem in the 2026-07-31 capture).
    const withCode = papers.filter((p) => p.codeUrl !== null);
    expect(withCode.map((p) => p.codeUrl)).toContain('https://github.com/declare-lab/sigma-mem');
    for (const p of withCode) expect(p.links.code).toBe(p.codeUrl);

    // CSV: a header, then one row per paper; the JSON lines' columns first, in their order.
    const csv = await runCli(['export', 'papers', '--format', 'csv'], env);
    expect(csv.code, csv.stderr).toBe(0);
    const csvLines = csv.stdout.split('\r\n');
    expect(csvLines.at(-1)).toBe('');
    expect(csvLines[0]).toBe(
      [...EXPORTED_FIELDS, 'paperUrl', 'abstractUrl', 'pdfUrl', 'huggingFaceUrl', 'discussionUrl', 'seenAt']
        .map((c) => `"${c}"`)
        .join(','),
    );
    const sigma = withCode.find((p) => p.codeUrl === 'https://github.com/declare-lab/sigma-mem');
    const sigmaRow = csvLines.find((line) => line.includes('"https://github.com/declare-lab/sigma-mem"'));
    expect(sigmaRow).toContain(`"https://arxiv.org/abs/${sigma.arxivId}","https://arxiv.org/abs/${sigma.arxivId}"`);
    expect(sigmaRow?.startsWith(`"${sigma.arxivId}",`)).toBe(true);
    const merged = papers.filter((p) => p.sources.length === 2);
    expect(merged.length).toBe(arxivSummary.merged);
    expect(merged[0].sources).toEqual(['arxiv-list', 'hf-papers']);
    const withTopics = papers.filter((p) => p.topics.length > 0);
    expect(withTopics.length / papers.length).toBeGreaterThan(0.8);
    const scores = withTopics[0].topics.map((x: { score: number }) => x.score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);

    // The same content again: a conditional GET or the unchanged content hash ends the crawl.
    const again = await ingest('arxiv-list', ['/list/cs.LG/new']);
    expect(lastJson(again.stdout)).toMatchObject({ pages: 1, pagesFailed: 0, new: 0, unchangedPages: 1 });
    expect(again.code).toBe(0);
  });

  it('sources lists the sources crawled under ids not in the sources file, as /api/sources does', async () => {
    const listed = await runCli(['sources', '--json'], env);
    expect(listed.code, listed.stderr).toBe(0);
    const reports = listed.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    const ids = reports.map((r) => r.id);
    expect(ids).toEqual(expect.arrayContaining(['arxiv-list', 'hf-papers']));
    expect(reports.find((r) => r.id === 'hf-papers')).toMatchObject({
      adapter: 'hf-papers',
      configured: false,
      schedule: 'not in the sources file',
      health: 'ok',
      lastCrawlAt: expect.any(String),
      lastSuccessAt: expect.any(String),
    });
    expect(ids).toEqual([...ids].sort());
    const table = await runCli(['sources'], env);
    expect(table.stdout).toMatch(/^hf-papers\s+not in the sources file\s+\S+Z ok 200, \d+ entries\s+\S+Z\s+ok$/m);
    expect(table.stdout).not.toMatch(/never crawled/);
  });

  it('sources --json and /api/sources list the same sources with the same health, on the same database', async () => {
    // A sources file with a source that has crawled (arxiv-list, by ingest above) and one that never has.
    const dir = mkdtempSync(join(tmpdir(), 'paperboy-sources-'));
    const sourcesPath = join(dir, 'sources.yaml');
    writeFileSync(
      sourcesPath,
      [
        'defaults:',
        '  politeness: { concurrency: 8, minDelay: 0s, robots: true }',
        'sources:',
        '  - id: never-crawled',
        '    adapter: hf-papers',
        `    url: ${server.url}/papers/date/2026-07-31`,
        '    schedule: { every: 1h }',
        '  - id: arxiv-list',
        '    adapter: arxiv-list',
        `    url: ${server.url}/list/cs.LG/new`,
        '    schedule: { every: 6h }',
        '',
      ].join('\n'),
    );
    const withFile = { ...env, PAPERBOY_SOURCES: sourcesPath };
    const listed = await runCli(['sources', '--json'], withFile);
    expect(listed.code, listed.stderr).toBe(0);
    const cli = listed.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    const redis = createRedis(requireEnv('TEST_REDIS_URL'), 'producer');
    const api = await buildApi({
      db: t.db,
      config: loadConfig({ ...withFile, PAPERBOY_PUBLIC_DASHBOARD: '1' }),
      logger: pino({ level: 'silent' }),
      redis,
      taxonomy: loadTaxonomy(),
    });
    try {
      const res = await api.inject({ method: 'GET', url: '/api/sources' });
      expect(res.statusCode).toBe(200);
      const served = (res.json() as { sources: Array<Record<string, unknown>> }).sources;
      const fields = ['configured', 'lastCrawlAt', 'lastOutcome', 'lastStatus', 'lastEntries', 'lastSuccessAt'];
      const same = ['health', 'reason', 'crawls24h', 'failures24h', 'new24h', 'unstoredBatches', ...fields];
      const pick = (r: Record<string, unknown>, id: unknown) => ({
        id,
        ...Object.fromEntries(same.map((f) => [f, r[f]])),
      });
      expect(served.map((r) => pick(r, r.source))).toEqual(cli.map((r) => pick(r, r.id)));
      // The file's sources first, in its order; the one that never crawled is listed too.
      expect(served.slice(0, 2)).toEqual([
        expect.objectContaining({
          source: 'never-crawled',
          configured: true,
          health: 'never crawled',
          lastCrawlAt: null,
        }),
        expect.objectContaining({ source: 'arxiv-list', configured: true, lastCrawlAt: expect.any(String) }),
      ]);
      expect(served[1]?.health).not.toBe('never crawled');
      expect(served.slice(2).map((r) => r.configured)).not.toContain(true);
      expect(served.map((r) => r.source)).toContain('hf-papers');
      // The dashboard page shows the same set.
      const page = await api.inject({ method: 'GET', url: '/dashboard' });
      for (const r of served) expect(page.body).toContain(`<td>${r.source}</td>`);
      expect(page.body).toMatch(/<td>never-crawled<\/td>.*?<td>never crawled<\/td>/);
    } finally {
      await api.close();
      redis.disconnect();
    }
  }, 90_000);

  it('keeps the logs of a command run by hand at warnings unless --verbose or LOG_LEVEL asks for more', async () => {
    const args = ['ingest', '--source', 'arxiv-list', '--url', `${server.url}/list/cs.LG/new`];
    const quiet = await runCli(args, { ...env, LOG_LEVEL: '' });
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(quiet.stderr).toBe('');
    const verbose = await runCli([...args, '--verbose'], { ...env, LOG_LEVEL: '' });
    expect(verbose.code, verbose.stderr).toBe(0);
    expect(verbose.stderr).toMatch(/"level":30,/);
    const explicit = await runCli(args, { ...env, LOG_LEVEL: 'info' });
    expect(explicit.stderr).toMatch(/"level":30,/);
  });

  it('reads the HF API and falls back to cards when the embedded JSON is broken, saying so', async () => {
    const api = await ingest('hf-api', ['/api/daily_papers']);
    expect(api.code, api.stderr).toBe(0);
    expect(lastJson(api.stdout).entries).toBe(30);
    const cards = await ingest('hf-papers', ['/papers/truncated', '/papers/tricky']);
    expect(cards.code, cards.stderr).toBe(0);
    const summary = lastJson<{ warnings: string[]; entries: number }>(cards.stdout);
    expect(summary.warnings.join('\n')).toMatch(/card/i);
    expect(summary.entries).toBeGreaterThan(0);
  });

  it('reports every page that fails, keeps the good one, and exits non-zero', async () => {
    const bad = ['/no-listing', '/not-html', '/huge', '/gone', '/broken', '/busy', '/loop', '/silent'];
    const result = await ingest('hf-papers', ['/papers/other', ...bad]);
    expect(result.code).toBe(1);
    const summary = lastJson<{
      pages: number;
      pagesFailed: number;
      errors: Array<{ url: string; error: string }>;
      warnings: string[];
      entries: number;
    }>(result.stdout);
    expect(summary.pages).toBe(9);
    expect(summary.pagesFailed).toBe(8);
    expect(summary.entries).toBeGreaterThan(0);
    const errorOf = (path: string) => summary.errors.find((e) => e.url.endsWith(path))?.error ?? '';
    expect(summary.warnings.join('\n')).toMatch(/no entries found/);
    // A page's error is not said again among the warnings.
    for (const { url, error } of summary.errors)
      expect(summary.warnings).not.toContain(error.includes(url) ? error : `${url}: ${error}`);
    expect(errorOf('/no-listing')).toMatch(/no paper listing found/);
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
    const rows = await t.db
      .selectFrom('page_fetches')
      .select(['url', 'status', 'error'])
      .where('url', 'like', '%/broken')
      .execute();
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({ status: 500 });
  });

  it('on Ctrl-C, stops and removes its unfinished crawl jobs so no later run inherits them', async () => {
    const child = spawn(
      'pnpm',
      ['paperboy', 'ingest', '--source', 'hf-papers', '--url', `${server.url}/hang`, '--url', `${server.url}/hang?2`],
      {
        cwd: root,
        env: { ...process.env, ...env, PAPERBOY_FETCH_TIMEOUT_MS: '60000', PAPERBOY_SHUTDOWN_TIMEOUT_MS: '2000' },
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true, // its own process group, as a terminal's Ctrl-C reaches the whole group
      },
    );
    let log = '';
    child.stderr.on('data', (d) => (log += d));
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
    await until(async () => (server.hits.get('/hang') ?? 0) >= 1, 30_000, 'the crawl to start');
    process.kill(-child.pid!, 'SIGINT');
    await closed; // pnpm itself dies of the signal; the paperboy process holds the pipe until it is done
    expect(log).toMatch(/interrupted/);
    expect(log).toMatch(/"removed":2,"msg":"unfinished crawl jobs removed"/);
    expect(await crawlJobsLeft(redisUrl, prefix)).toBe(0);
  });

  it('answers --help, unknown options and bad values with clear errors, not stack traces', async () => {
    const help = await runCli(['--help'], env);
    expect(help.code).toBe(0);
    for (const command of ['migrate', 'ingest', 'export', 'start', 'demo', 'reclassify'])
      expect(help.stdout).toContain(command);
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
    const badFormat = await runCli(['export', 'papers', '--format', 'xml'], env);
    expect(badFormat.code).toBe(2);
    expect(badFormat.stderr).toMatch(/unknown format "xml", expected "jsonl" or "csv"/);
    // Postgres not there: every command says so in one line, whichever path opened the database.
    for (const args of [['subscribers', 'list'], ['sources'], ['dashboard', 'status']]) {
      const down = await runCli(args, { ...env, DATABASE_URL: 'postgres://postgres@127.0.0.1:1/paperboy' });
      expect(down.code, args.join(' ')).toBe(1);
      expect(down.stderr, args.join(' ')).toMatch(
        /^paperboy: cannot reach Postgres \(connect ECONNREFUSED 127\.0\.0\.1:1\): is it running, and does DATABASE_URL point at it\?\n$/,
      );
    }
  });

  it('says a missing subcommand is missing (also when given as an empty argument) and lists the valid ones', async () => {
    const cases: Array<[string[], RegExp]> = [
      [
        ['dashboard', ''],
        /^paperboy: dashboard: missing subcommand; expected refresh or status\nTry: pnpm paperboy dashboard --help\n$/,
      ],
      [
        ['subscribers', ''],
        /^paperboy: subscribers: missing subcommand; expected add, set, list or remove\nTry: pnpm paperboy subscribers --help\n$/,
      ],
      [['digest', ' '], /^paperboy: digest: missing subcommand; expected run, preview, stuck or resend-stuck\n/],
      [['export', ''], /^paperboy: export: missing dataset; expected "papers"\n/],
      // An unknown one is still named.
      [['dashboard', 'refesh'], /^paperboy: dashboard: expected refresh or status, got "refesh"\n/],
      // A stray argument is refused, not ignored.
      [
        ['digest', 'run', 'ada@example.org'],
        /^paperboy: digest run: unexpected ada@example.org \(run takes no address/,
      ],
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
    const capture = JSON.parse(hfApiListing().toString('utf8')) as unknown[];
    const body = Buffer.from(JSON.stringify([...capture, { paper: {} }]));
    await sql`
      INSERT INTO page_bodies (content_hash, encoding, body, bytes, stored_bytes, content_type, first_fetched_at, last_fetched_at)
      VALUES ('retired-source-test', 'br', ${brotliCompressSync(body)}, ${body.length}, 0, 'application/json', now(), now())`.execute(
      t.db,
    );
    await sql`
      INSERT INTO page_fetches (source, adapter, url, status, bytes, content_hash, content_type, fetched_at, duration_ms)
      VALUES ('hf-api-retired', 'hf-api', ${`${server.url}/api/daily_papers?retired`}, 200, ${body.length}, 'retired-source-test', 'application/json', now() - interval '1 day', 1)`.execute(
      t.db,
    );

    const unknown = await runCli(['replay', '--source', 'nope'], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stdout).toBe('');
    expect(unknown.stderr).toMatch(
      /^paperboy: replay: unknown source "nope" \(not in .*sources\.test\.yaml, not an adapter id, no pages fetched under it\); known: /,
    );
    const known = /known: (.*)\n/.exec(unknown.stderr)![1]!.split(', ');
    // Adapter ids (what `ingest` records its pages under) and every source with fetches recorded.
    expect(known).toEqual(
      expect.arrayContaining(['arxiv-list', 'arxiv-rss', 'generic', 'hf-api', 'hf-api-retired', 'hf-papers']),
    );
    expect(known).toEqual([...known].sort());
    expect(unknown.stderr).toMatch(/Try: pnpm paperboy replay --help/);

    const retired = await runCli(['replay', '--source', 'hf-api-retired'], env, 60_000);
    expect(retired.code, retired.stderr).toBe(0);
    expect(lastJson(retired.stdout)).toMatchObject({ pages: 1, pagesFailed: 0, entries: 30, failed: 0, errors: [] });
    // Warnings name their page, as ingest's do.
    expect(lastJson(retired.stdout).warnings).toEqual([
      `${server.url}/api/daily_papers?retired: hf-api: skipped 1 entries without paper.id`,
    ]);
  });

  it('names a closed port as a refused connection', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const result = await runCli(['ingest', '--source', 'hf-papers', '--url', `http://127.0.0.1:${port}/papers`], {
      ...env,
      PAPERBOY_FETCH_ATTEMPTS: '1',
    });
    expect(result.code).toBe(1);
    const summary = lastJson<{ errors: Array<{ error: string }>; warnings: string[] }>(result.stdout);
    expect(summary.errors).toHaveLength(1);
    expect(summary.errors[0]!.error).toMatch(
      new RegExp(`connection refused by 127\\.0\\.0\\.1:${port} \\(ECONNREFUSED: nothing listens there\\)`),
    );
    expect(summary.warnings).toEqual([]);
  });

  it('says in one line, exit status 2, that Postgres refused the login, from every command', async () => {
    const url = new URL(t.url);
    url.username = 'paperboy_no_such_user';
    url.password = 'wrong';
    // One of each way a command opens the database: migrate's admin connection, a pool, the preflight of a pipeline.
    for (const args of [
      ['migrate'],
      ['subscribers', 'list'],
      ['ingest', '--source', 'hf-papers', '--url', `${server.url}/papers/other`],
    ]) {
      const result = await runCli(args, { ...env, DATABASE_URL: url.toString() }, 120_000);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr, args.join(' ')).toMatch(
        /^paperboy: Postgres refused the login for user paperboy_no_such_user: .+ \(check the user and password in DATABASE_URL\)\n$/,
      );
    }
  }, 400_000);

  it('help and usage: whole sentences, every health, optional options in brackets, a missing address said so', {
    timeout: 300_000,
  }, async () => {
    const ingestHelp = await runCli(['ingest', '--help'], env);
    expect(ingestHelp.stdout).toMatch(
      /\nExit status 1 when a page could not be fetched or yielded no entries, or a batch could not be stored\.\n/,
    );
    const sourcesHelp = await runCli(['sources', '--help'], env);
    for (const health of ['ok', 'quiet', 'unchanged', 'retrying', 'suspect', 'failing', 'never crawled'])
      expect(sourcesHelp.stdout).toContain(`${health}`);
    expect(sourcesHelp.stdout).toMatch(/retrying \(/);
    const subscribersHelp = await runCli(['subscribers', '--help'], env);
    const usage = subscribersHelp.stdout.split('\n\n')[0]!.split('\n');
    expect(usage).toEqual([
      expect.stringMatching(/^Usage: pnpm paperboy subscribers add <email> \[--topics <ids>\] /),
      '       pnpm paperboy subscribers set <email> [any option of add]',
      '       pnpm paperboy subscribers list',
      '       pnpm paperboy subscribers remove <email>',
    ]);
    // Every option in the usage is shown as optional: inside brackets.
    expect(usage[0]!.replace(/\[--[a-z-]+(?: [^\]]+)?\]/g, '')).not.toMatch(/--/);
    for (const args of [
      ['subscribers', 'add'],
      ['subscribers', 'add', ''],
      ['subscribers', 'remove'],
    ]) {
      const missing = await runCli(args, env);
      expect(missing.code, args.join(' ')).toBe(2);
      expect(missing.stderr, args.join(' ')).toMatch(
        new RegExp(
          `^paperboy: subscribers ${args[1]}: missing email address; expected subscribers ${args[1]} <email>\n`,
        ),
      );
    }
  });

  it('subscribers list prints camelCase keys, as every other command', async () => {
    const added = await runCli(
      ['subscribers', 'add', 'camel@example.org', '--send-hour', '9', '--time-zone', 'Europe/Paris'],
      env,
    );
    expect(added.code, added.stderr).toBe(0);
    const list = await runCli(['subscribers', 'list'], env);
    const row = list.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line))
      .find((r) => r.email === 'camel@example.org');
    // In this order: scripts read the older fields by position; issue 14's lists come last.
    expect(Object.keys(row)).toEqual([
      'id',
      'email',
      'status',
      'createdAt',
      'confirmedAt',
      'topics',
      'frequency',
      'sendHour',
      'timeZone',
      'minUpvotes',
      'maxPapers',
      'followedAuthors',
      'keywords',
      'negativeKeywords',
    ]);
    expect(row).toMatchObject({
      status: 'active',
      sendHour: 9,
      timeZone: 'Europe/Paris',
      maxPapers: 10,
      minUpvotes: 0,
      frequency: 'daily',
    });
  });

  it('reports every mistake of a sources file at once, exit status 2 as other configuration errors', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'paperboy-sources-'));
    const path = join(dir, 'sources.yaml');
    writeFileSync(
      path,
      'sources:\n  - id: a\n    adapter: hf-paper\n    url: https://example.org/x\n    schedule:\n      every: 30 minutes\n  - { id: b, adapter: hf-api, url: "https://example.org/y", schedule: { every: 1h }, enabld: false }\n',
    );
    const result = await runCli(['sources'], { ...env, PAPERBOY_SOURCES: path });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      `paperboy: invalid sources file ${path}:\n` +
        '  - sources[0].schedule.every (line 6): every: expected a duration such as "90s", "5m", "1h" or "2d"\n' +
        `  - sources[0].adapter (line 3): unknown source adapter "hf-paper"; known adapters: ${/known adapters: (.*); did/.exec(result.stderr)?.[1]}; did you mean "hf-papers"?\n` +
        '  - sources[1].enabld (line 7): unknown field "enabld"; did you mean "enabled"?\n',
    );
  }, 120_000);
});
