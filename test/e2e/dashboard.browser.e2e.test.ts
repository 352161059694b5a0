import { statSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { buildApi } from '@paperboy/api';
import { loadConfig } from '@paperboy/config';
import { DashboardRepository } from '@paperboy/db';
import { loadTaxonomy } from '@paperboy/pipeline';
import { createRedis, Queues } from '@paperboy/queue';
import { type TestDatabase, testEnvironment } from '@paperboy/test-utils';
import { sql } from 'kysely';
import { pino } from 'pino';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, launchChromium } from './browser.js';
import { computedStyle, watchCspViolations } from './csp.js';

const available = chromiumAvailable;

let t: TestDatabase;
let browser: Browser;
let app: Awaited<ReturnType<typeof buildApi>>;
let base: string;
const testEnv = testEnvironment();
const { prefix, redisUrl } = testEnv;
const redis = createRedis(redisUrl, 'producer');
const queues = new Queues(redis, { prefix, fetchAttempts: 1 });
const TOKEN = 'dashboard-admin-token-0123456789';
export const SCREENSHOT = `${process.env.TMPDIR ?? '/tmp'}/paperboy-dashboard.png`;

beforeAll(async () => {
  if (!available) return;
  t = await testEnv.start();
  // Papers over the last 10 days in three topics, each sighted on the days since it appeared; two sources' crawls.
  await sql`
    INSERT INTO papers (arxiv_id, title, title_key, upvotes, first_seen_at, last_seen_at)
    SELECT '2611.' || (30000 + i), 'Paper ' || i, 'p' || i, i * 2, now() - ((i % 10) || ' days')::interval, now()
    FROM generate_series(1, 60) AS i`.execute(t.db);
  // Seen on a loopback listing (as in the demo); every tenth paper has code, most with stars.
  await sql`UPDATE papers SET url = 'http://127.0.0.1:9/papers/' || arxiv_id`.execute(t.db);
  await sql`UPDATE papers SET code_url = 'https://github.com/org/' || title_key,
              code_stars = CASE WHEN upvotes = 60 THEN NULL ELSE upvotes * 10 END
            WHERE upvotes % 20 = 0`.execute(t.db);
  await sql`INSERT INTO paper_topics (paper_id, topic_id, score, position, taxonomy_version)
            SELECT id, (ARRAY['llm', 'vision', 'agents'])[1 + id % 3], 0.9, 0, 'v' FROM papers`.execute(t.db);
  await sql`INSERT INTO sightings (paper_id, source, listing, rank, upvotes, seen_at)
            SELECT p.id, 'hf-papers', 'l' || d, 1, p.upvotes, now() - (d || ' days')::interval
            FROM papers p, generate_series(0, 9) AS d WHERE p.first_seen_at <= now() - (d || ' days')::interval`.execute(
    t.db,
  );
  await sql`INSERT INTO crawls (source, url, trigger, started_at, finished_at, status, outcome, entries)
            VALUES ('hf-daily', 'https://huggingface.co/papers', 'schedule', now() - interval '1 hour', now(), 200, 'ok', 30),
                   ('arxiv-cs-lg', 'https://arxiv.org/list/cs.LG/new', 'schedule', now() - interval '2 hours', now(), 200, 'ok', 0),
                   ('gone-404', 'https://example.org/gone', 'schedule', now() - interval '1 hour', now(), 404, 'failed', 0)`.execute(
    t.db,
  );
  await sql`UPDATE crawls SET suspect = true, suspect_reason = 'no entries found' WHERE source = 'arxiv-cs-lg'`.execute(
    t.db,
  );
  await new DashboardRepository(t.db).refresh(); // as the processor's scheduled job does
  await queues.add('crawl-page', { source: 'hf-papers', url: 'https://huggingface.co/papers' });
  app = await buildApi({
    db: t.db,
    config: loadConfig({ PAPERBOY_QUEUE_PREFIX: prefix, PAPERBOY_ADMIN_TOKEN: TOKEN }),
    logger: pino({ level: 'silent' }),
    redis,
    taxonomy: loadTaxonomy(),
    queues: [queues.get('crawl'), queues.get('ingest'), queues.get('notify')],
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await app?.close();
  await queues.close();
  redis.disconnect();
  await testEnv.stop();
});

describe.skipIf(!available)('the dashboard page', () => {
  it('renders trending papers by topic, topic trends with data, source health and queue depths, without console errors', async () => {
    const page = await browser.newPage({ viewport: { width: 1100, height: 1400 } });
    const errors: string[] = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(e.message));
    const violations = await watchCspViolations(page);
    // Behind the admin token: refused without it; with it once in the URL, then by its cookie.
    expect((await page.request.get(`${base}/dashboard`)).status()).toBe(401);
    expect((await page.goto(`${base}/dashboard?token=${TOKEN}`))?.status()).toBe(200);
    const res = await page.goto(`${base}/dashboard`);
    expect(res?.status()).toBe(200);
    expect(res?.headers()['content-security-policy']).toMatch(/default-src 'none'/);
    expect(await page.locator('h1').textContent()).toBe('paperboy dashboard');
    expect(await page.locator('.as-of').textContent()).toMatch(
      /^Trends and trending as of \d{4}-\d\d-\d\d \d\d:\d\d UTC/,
    );
    // The chart has a line per topic, each with a point per day and not all zero.
    const lines = page.locator('svg polyline.series');
    expect(await lines.count()).toBe(3);
    const points = (await lines.first().getAttribute('points'))!.split(' ');
    expect(points).toHaveLength(30);
    expect(new Set(points.map((p) => p.split(',')[1])).size).toBeGreaterThan(1);
    expect(await page.locator('h3').allTextContents()).toEqual(expect.arrayContaining(['llm', 'vision', 'agents']));
    const body = await page.locator('body').textContent();
    expect(body).toMatch(/arxiv-cs-lg.*suspect: no entries found/s);
    // Health by the rules of `paperboy sources`: a failed fetch is failing, not ok.
    const health = async (source: string) => page.locator('tr', { hasText: source }).locator('td').last().textContent();
    expect(await health('gone-404')).toBe('failing: HTTP 404');
    expect(await health('hf-daily')).toBe('ok');
    expect(body).toMatch(/crawl\s*1\s*0\s*0\s*0/);
    // Titles link to the paper's canonical page, never the loopback listing it was seen on.
    const titleLinks = await page.locator('a.paper-link').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    expect(titleLinks.length).toBeGreaterThan(10);
    for (const href of titleLinks) expect(href).toMatch(/^https:\/\/arxiv\.org\/abs\/2611\.3\d{4}$/);
    // Code links with stars where known; papers with code, most stars first, unknown stars after.
    const withCode = page.locator('.papers-with-code tbody tr');
    expect(await withCode.count()).toBe(6);
    expect(await withCode.first().locator('td').nth(1).textContent()).toBe('Paper 60');
    expect(await withCode.first().locator('td').nth(2).textContent()).toBe('code ★ 1,200');
    expect(await withCode.first().locator('a.code-link').getAttribute('href')).toBe('https://github.com/org/p60');
    expect(await withCode.last().locator('td').nth(1).textContent()).toBe('Paper 30');
    expect(await withCode.last().locator('td').nth(2).textContent()).toBe('code');
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(statSync(SCREENSHOT).size).toBeGreaterThan(20_000);
    // Styled as intended (its style block and the legend's colour classes applied, not refused).
    expect(await computedStyle(page, 'p span.series-0', 'color')).toBe('rgb(37, 99, 235)');
    expect(await violations()).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);
});
