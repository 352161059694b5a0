import type { AddressInfo } from 'node:net';
import { buildApi } from '@paperboy/api';
import { loadConfig } from '@paperboy/config';
import { createTransport } from '@paperboy/mail';
import { createNotifierWorkers } from '@paperboy/notifier';
import { loadTaxonomy, signToken } from '@paperboy/pipeline';
import { createRedis, Queues, type Worker } from '@paperboy/queue';
import { type SmtpTestServer, startSmtpTestServer, type TestDatabase, testEnvironment } from '@paperboy/test-utils';

type FastifyInstance = Awaited<ReturnType<typeof buildApi>>;

import { pino } from 'pino';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, launchChromium } from './browser.js';
import { computedStyle, watchCspViolations } from './csp.js';

/**
 * The subscribe and unsubscribe pages in a real browser (Debian's chromium, driven by
 * playwright-core). CI installs chromium; elsewhere, without it, these tests are skipped with a note.
 */
const available = chromiumAvailable;

let t: TestDatabase;
let smtp: SmtpTestServer;
let app: FastifyInstance;
let browser: Browser;
let base: string;
let workers: Worker[] = [];
let mailer: ReturnType<typeof createTransport> | undefined;
const testEnv = testEnvironment();
const { prefix, redisUrl } = testEnv;
const redis = createRedis(redisUrl, 'producer');
const workerRedis = createRedis(redisUrl, 'worker');
const queues = new Queues(redis, { prefix, fetchAttempts: 1 });

beforeAll(async () => {
  if (!available) return;
  t = await testEnv.start();
  smtp = await startSmtpTestServer();
  const config = loadConfig({ PAPERBOY_QUEUE_PREFIX: prefix, PAPERBOY_SECRET: 'browser-test-secret-Hy6Pd3Jf8Ls1Qa4' });
  app = await buildApi({
    db: t.db,
    config,
    logger: pino({ level: 'silent' }),
    redis,
    jobs: queues,
    taxonomy: loadTaxonomy(),
  });
  // The confirmation mail is a job: the notifier's worker sends it.
  mailer = createTransport({ smtpUrl: smtp.url, outboxDir: '/tmp/unused', pool: false });
  workers = createNotifierWorkers({
    db: t.db,
    logger: pino({ level: 'silent' }),
    config,
    connection: workerRedis,
    queues,
    transport: mailer,
  });
  for (const worker of workers) void worker.run();
  await app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await app?.close();
  await Promise.all(workers.map((w) => w.close(true)));
  await mailer?.close();
  await queues.close();
  await smtp?.close();
  redis.disconnect();
  workerRedis.disconnect();
  await testEnv.stop();
});

describe.skipIf(!available)('subscribe and unsubscribe in a browser', () => {
  it('subscribes through the form, confirms from the mail, and unsubscribes with the button', async () => {
    const page = await browser.newPage({ javaScriptEnabled: false }); // the pages work without JavaScript
    const errors: string[] = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await page.goto(`${base}/subscribe`);
    await page.fill('#email', 'browser@example.org');
    await page.check('input[value="llm"]');
    await page.check('input[value="agents"]');
    await page.check('input[value="weekly"]');
    await page.click('button[type="submit"]');
    expect(await page.locator('h1').textContent()).toBe('Check your inbox');

    const deadline = Date.now() + 20_000;
    while (!smtp.messages.some((m) => m.rcptTo[0] === 'browser@example.org') && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    const mail = smtp.messages.find((m) => m.rcptTo[0] === 'browser@example.org');
    expect(mail).toBeDefined();
    const link = /https?:\/\/\S+\/confirm\?token=[\w.-]+/.exec(mail!.parsed.text ?? '')![0];
    await page.goto(`${base}${new URL(link).pathname}${new URL(link).search}`);
    // Opening the link asks (a mail scanner opening it confirms nothing); the button confirms.
    expect(await page.locator('h1').textContent()).toBe('Confirm your subscription');
    await page.click('button[type="submit"]');
    expect(await page.locator('h1').textContent()).toBe('Subscription confirmed');
    const row = await t.db
      .selectFrom('subscribers')
      .selectAll()
      .where('email', '=', 'browser@example.org')
      .executeTakeFirstOrThrow();
    expect(row.status).toBe('active');
    const prefs = await t.db
      .selectFrom('subscriber_preferences')
      .selectAll()
      .where('subscriber_id', '=', row.id)
      .executeTakeFirstOrThrow();
    expect(prefs).toMatchObject({ topics: ['llm', 'agents'], frequency: 'weekly' });

    const token = signToken('browser-test-secret-Hy6Pd3Jf8Ls1Qa4', 'unsubscribe', row.id, null, 1);
    await page.goto(`${base}/unsubscribe?token=${token}`);
    await page.screenshot({ path: `${process.env.TMPDIR ?? '/tmp'}/paperboy-unsubscribe.png` });
    await page.click('button[type="submit"]');
    expect(await page.locator('h1').textContent()).toBe('You are unsubscribed');
    const after = await t.db
      .selectFrom('subscribers')
      .select('status')
      .where('id', '=', row.id)
      .executeTakeFirstOrThrow();
    expect(after.status).toBe('unsubscribed');
    expect(errors, errors.join('\n')).toEqual([]);
    await page.close();
  }, 60_000);

  it('the subscribe page and its answer pass their Content-Security-Policy (no violation reported)', async () => {
    const page = await browser.newPage(); // JavaScript on: the violation events are DOM events
    const violations = await watchCspViolations(page);
    const res = await page.goto(`${base}/subscribe`);
    expect(res?.headers()['content-security-policy']).toMatch(/default-src 'none'/);
    // The page is styled: its style block was applied, not refused.
    expect(await computedStyle(page, 'body', 'fontFamily')).toMatch(/system-ui/);
    expect(await violations()).toEqual([]);
    await page.fill('#email', 'csp@example.org');
    await page.click('button[type="submit"]');
    expect(await page.locator('h1').textContent()).toBe('Check your inbox');
    expect(await violations()).toEqual([]);
    await page.close();
  }, 60_000);

  it('shows input errors on the page, escaped', async () => {
    const page = await browser.newPage();
    await page.goto(`${base}/subscribe`);
    // Bypass the browser's own email check to reach the server's.
    await page.locator('#email').evaluate((input) => input.setAttribute('type', 'text'));
    await page.fill('#email', '"><img src=x onerror=alert(1)>');
    await page.click('button[type="submit"]');
    expect(await page.locator('[role=alert]').textContent()).toMatch(/not an email address/);
    expect(await page.locator('img').count()).toBe(0);
    await page.close();
  }, 60_000);
});
