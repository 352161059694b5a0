import type { AddressInfo } from 'node:net';
import { buildApi } from '@paperboy/api';
import { loadConfig } from '@paperboy/config';
import { appendEvents, WebhookRepository } from '@paperboy/db';
import { loadTaxonomy, outboxEvent } from '@paperboy/pipeline';
import { createRedis, Queues } from '@paperboy/queue';
import { type TestDatabase, testEnvironment } from '@paperboy/test-utils';
import { sql } from 'kysely';
import { pino } from 'pino';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, launchChromium } from './browser.js';
import { watchCspViolations } from './csp.js';

/**
 * The dashboard in Chromium updates itself from the live stream: an event written to the outbox
 * appears on the open page, and the page's data (here the webhook endpoints' panel) is re-fetched and
 * swapped in, without a navigation, inside the page's CSP.
 */
const available = chromiumAvailable;

let t: TestDatabase;
let browser: Browser;
let app: Awaited<ReturnType<typeof buildApi>>;
let base: string;
const testEnv = testEnvironment();
const { prefix, redisUrl } = testEnv;
const redis = createRedis(redisUrl, 'producer');
const queues = new Queues(redis, { prefix, fetchAttempts: 1 });
const TOKEN = 'dashboard-live-token-0123456789';

type MarkedWindow = { __notReloaded?: boolean };

beforeAll(async () => {
  if (!available) return;
  t = await testEnv.start();
  app = await buildApi({
    db: t.db,
    config: loadConfig({ PAPERBOY_QUEUE_PREFIX: prefix, PAPERBOY_ADMIN_TOKEN: TOKEN, PAPERBOY_READ_CACHE_MS: '500' }),
    logger: pino({ level: 'silent' }),
    redis,
    jobs: queues,
    taxonomy: loadTaxonomy(),
    eventStream: { pollMs: 200 },
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

describe.skipIf(!available)('the dashboard, live', () => {
  it('shows a new event and refreshes its data without reloading, within its CSP', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(e.message));
    const violations = await watchCspViolations(page);
    expect((await page.goto(`${base}/dashboard?token=${TOKEN}`))?.status()).toBe(200);
    await page.waitForSelector('#live[data-state=open]', { timeout: 10_000 });
    expect(await page.locator('#live').textContent()).toMatch(/^Live: updating/);
    expect(await page.locator('.webhooks').textContent()).toMatch(/No webhook endpoints/);
    await page.evaluate(() => {
      (globalThis as unknown as MarkedWindow).__notReloaded = true;
    });

    // Meanwhile: an endpoint that has been failing (its last error is hostile markup), and a new paper with its event.
    const webhooks = new WebhookRepository(t.db);
    const endpoint = await webhooks.create({
      url: 'https://hooks.example.org/live',
      secret: 'whsec_live_test_secret_0123',
    });
    await webhooks.recordFailure(endpoint.id, { status: 502, error: '<img src=x onerror=alert(1)> bad gateway' });
    await t.db.transaction().execute(async (trx) => {
      const { rows } = await sql<{ id: number }>`
        INSERT INTO papers (arxiv_id, title, title_key, upvotes, first_seen_at, last_seen_at)
        VALUES ('2612.00001', 'Live <Paper> arrives', 'live paper arrives', 3, now(), now()) RETURNING id`.execute(trx);
      const id = Number(rows[0]!.id);
      await appendEvents(trx, [
        outboxEvent(
          'paper.created',
          {
            paper: {
              id,
              arxivId: '2612.00001',
              title: 'Live <Paper> arrives',
              authors: ['A. Author'],
              url: 'https://arxiv.org/abs/2612.00001',
              upvotes: 3,
              topics: ['llm'],
              firstSeenAt: new Date().toISOString(),
            },
            source: 'hf-papers',
            listing: null,
            rank: 1,
          },
          { paperId: id, topics: ['llm'] },
        ),
      ]);
    });

    // The event is listed as it arrives (as text: the title's markup shown, not parsed)...
    await page.waitForSelector('#live-events li', { timeout: 10_000 });
    expect(await page.locator('#live-events li').first().textContent()).toMatch(
      /^\d\d:\d\d:\d\d paper\.created Live <Paper> arrives$/,
    );
    // ...and the page's data is fetched again and swapped in: the endpoint's health appears.
    await page.waitForFunction(
      () =>
        (globalThis as unknown as { document: { getElementById(id: string): { textContent: string } | null } }).document
          .getElementById('dashboard-data')
          ?.textContent.includes('hooks.example.org/…') ?? false,
      undefined,
      { timeout: 15_000 },
    );
    const row = page.locator('.webhooks tbody tr').first();
    const cells = await row.locator('td').allTextContents();
    // Its origin only: the rest of a hook URL is often its token.
    expect(cells[0]).toBe(`#${endpoint.id} https://hooks.example.org/…`);
    expect(cells[3]).toMatch(/^failing since \d{4}-\d\d-\d\d \d\d:\d\d$/);
    expect(cells[5]).toBe('0 / 1');
    expect(cells[8]).toBe('502 <img src=x onerror=alert(1)> bad gateway');
    expect(cells[9]).toBe('1');
    expect(await page.locator('.webhooks img').count()).toBe(0);
    expect(await page.locator('body').textContent()).not.toContain('whsec_live_test_secret');
    // The same document all along: no navigation happened.
    expect(await page.evaluate(() => (globalThis as unknown as MarkedWindow).__notReloaded)).toBe(true);
    expect(await violations()).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);
});
