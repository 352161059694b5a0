import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { outboxEvents, type TestDatabase, testEnvironment } from '@paperboy/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crawlJobsLeft, lastJson, root, runCli, until } from './helpers.js';

let t: TestDatabase;
let env: Record<string, string>;
const testEnv = testEnvironment();
const { prefix, redisUrl } = testEnv;

beforeAll(async () => {
  t = await testEnv.start();
  env = {
    ...testEnv.processEnv(),
    PAPERBOY_SOURCES: `${root}test/fixtures/sources.test.yaml`,
    LOG_LEVEL: 'warn',
  };
});
afterAll(async () => {
  await testEnv.stop();
});

const exportPapers = async (extra: Record<string, string> = {}) => {
  const out = await runCli(['export', 'papers', '--format', 'jsonl'], { ...env, ...extra });
  expect(out.code).toBe(0);
  return out.stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
};

describe('paperboy demo, label and reclassify', () => {
  it('demo runs the bundled sample through the pipeline with no network and reports what it stored', async () => {
    // With enrichment on (the default, which the test environment turns off), the demo still asks no
    // API: its sample needs no internet.
    const demo = await runCli(['demo'], { ...env, PAPERBOY_ENRICH: 'arxiv,hf' }, 120_000);
    expect(demo.code, demo.stderr).toBe(0);
    expect(`${demo.stdout}\n${demo.stderr}`).not.toMatch(/arxiv\.org|huggingface\.co\/(robots|api)|enrich/);
    expect(await t.db.selectFrom('paper_enrichments').select('paper_id').execute()).toEqual([]);
    expect(demo.stdout).toMatch(/serving 3 sample listings at http:\/\/127\.0\.0\.1:\d+/);
    expect(demo.stdout).toMatch(/hf-papers-date-A\.html\s+\d+ entries: \d+ new/);
    expect(demo.stdout).toMatch(/arxiv-list-cs-new\.html\s+\d+ entries: .*[1-9]\d* merged from another source/);
    expect(demo.stdout).toMatch(/papers seen on more than one source/);
    expect(demo.stdout).toMatch(/Best topic per paper: /);
    expect(demo.stdout).toMatch(/Upvotes that changed between sightings:\n\s+\d{4}\.\d{5}\s+.+\d+ → \d+ \([+-]\d+\)/);
    // It ends with where things are: the database (no password), where mail goes, the API and dashboard.
    expect(demo.stdout).toContain(
      `\nWhere things are:\n  database   ${t.url.replace(/:[^/@:]*@/, ':[redacted]@')} (DATABASE_URL)\n`,
    );
    expect(demo.stdout).toMatch(
      /\n {2}mail {7}digests and confirmations are written as \.eml files to \/\S+ \(PAPERBOY_OUTBOX_DIR/,
    );
    expect(demo.stdout).toMatch(
      /\n {2}API {8}pnpm --filter @paperboy\/api start, then http:\/\/localhost:\d+\/api\/papers/,
    );
    expect(demo.stdout).toMatch(/\nNext: pnpm paperboy export papers --format jsonl \| head -n 3\n$/);
    const papers = await exportPapers();
    expect(papers.some((p) => p.sources.includes('hf-papers') && p.sources.includes('arxiv-list'))).toBe(true);
  }, 150_000);

  it('on Ctrl-C, demo stops as ingest does: workers finish, its unfinished crawl jobs are removed, it says so', async () => {
    const child = spawn('pnpm', ['paperboy', 'demo'], {
      cwd: root,
      env: { ...process.env, ...env, PAPERBOY_SHUTDOWN_TIMEOUT_MS: '5000', PAPERBOY_BATCH_SIZE: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // its own process group, as a terminal's Ctrl-C reaches the whole group
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const closed = new Promise<void>((resolve) => child.on('close', () => resolve()));
    await until(async () => /entries: /.test(stdout), 90_000, "the demo's first listing");
    process.kill(-child.pid!, 'SIGINT');
    await closed;
    expect(stderr).toMatch(/interrupted: stopping and removing this run's unfinished crawl jobs/);
    expect(stderr).toMatch(/"msg":"unfinished crawl jobs removed"/);
    expect(stderr).not.toMatch(/\n\s+at /);
    expect(stdout).not.toMatch(/Where things are/);
    expect(await crawlJobsLeft(redisUrl, prefix)).toBe(0);
  }, 150_000);

  it('manual labels win over computed topics, and survive reclassify with an edited taxonomy', async () => {
    const [first] = await exportPapers();
    const updatedBefore = (await outboxEvents(t.db, { types: ['paper.updated'] })).length;
    const labelled = await runCli(['label', first.arxivId, '--topics', 'safety,data'], env);
    expect(labelled.code, labelled.stderr).toBe(0);
    // Its topics changed: one paper.updated, written with the labels, saying so.
    const byLabel = (await outboxEvents(t.db, { types: ['paper.updated'] })).slice(updatedBefore);
    expect(byLabel).toHaveLength(1);
    const data = byLabel[0]!.data as { paper: { arxivId: string }; changes: Record<string, { to: unknown }> };
    expect(data.paper.arxivId).toBe(first.arxivId);
    expect(Object.keys(data.changes)).toEqual(['topics']);
    expect([...(data.changes.topics!.to as string[])].sort()).toEqual(['data', 'safety']);
    // The same labels again change nothing, and say nothing.
    expect((await runCli(['label', first.arxivId, '--topics', 'safety,data'], env)).code).toBe(0);
    expect((await outboxEvents(t.db, { types: ['paper.updated'] })).length).toBe(updatedBefore + 1);
    const bad = await runCli(['label', first.arxivId, '--topics', 'astrology'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unknown topic\(s\) astrology/);

    // An edited taxonomy (one weight changed) has a new effective version.
    const dir = mkdtempSync(join(tmpdir(), 'paperboy-taxonomy-'));
    const edited = readFileSync(join(root, 'packages/pipeline/taxonomy/default.yaml'), 'utf8')
      .replace(/- id: llm\n/, '- id: llm\n    # edited in a test\n')
      .replace(/\{ term: large language model, weight: 2 \}/, '{ term: large language model, weight: 0.1 }');
    const path = join(dir, 'taxonomy.yaml');
    writeFileSync(path, edited);
    const beforeReclassify = (await outboxEvents(t.db, { types: ['paper.updated'] })).length;
    const re = await runCli(['reclassify', '--batch-size', '7'], { ...env, PAPERBOY_TAXONOMY: path });
    expect(re.code, re.stderr).toBe(0);
    // Papers whose topics the edited weight changed are announced; the labelled one (labels win) is not.
    const byReclassify = (await outboxEvents(t.db, { types: ['paper.updated'] })).slice(beforeReclassify);
    for (const e of byReclassify) {
      expect(Object.keys((e.data as { changes: object }).changes)).toEqual(['topics']);
      expect((e.data as { paper: { arxivId: string } }).paper.arxivId).not.toBe(first.arxivId);
    }
    const summary = lastJson<{ papers: number; taxonomyVersion: string }>(re.stdout);
    const papers = await exportPapers();
    expect(summary.papers).toBe(papers.length);
    expect(summary.taxonomyVersion).toMatch(/^2026-11-28\+[0-9a-f]{8}$/);
    const versions = await t.db.selectFrom('paper_topics').select('taxonomy_version').distinct().execute();
    expect(versions.map((v) => v.taxonomy_version)).toEqual([summary.taxonomyVersion]);
    const again = papers.find((p) => p.arxivId === first.arxivId);
    expect(again.topics).toEqual([
      { id: 'data', score: 1 },
      { id: 'safety', score: 1 },
    ]);

    const badTaxonomy = join(dir, 'bad.yaml');
    writeFileSync(badTaxonomy, 'version: 1\ntopics:\n  - id: x\n    keywords: [{ term: a, weight: lots }]\n');
    const broken = await runCli(['reclassify'], { ...env, PAPERBOY_TAXONOMY: badTaxonomy });
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/weight/);
    expect(broken.stderr).not.toMatch(/\n\s+at /);
  }, 120_000);
});
