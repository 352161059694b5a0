import { signToken } from '@paperboy/pipeline';
import type { SmtpTestServer, TestDatabase } from '@paperboy/test-utils';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, startApiHarness } from './api-harness.js';
import { chromiumAvailable } from './browser.js';
import { computedStyle, watchCspViolations } from './csp.js';

/**
 * The subscribe and unsubscribe pages in a real browser (Debian's chromium, driven by
 * playwright-core). CI installs chromium; elsewhere, without it, these tests are skipped with a note.
 */
const available = chromiumAvailable;

const SECRET = 'browser-test-secret-Hy6Pd3Jf8Ls1Qa4';
let h: ApiHarness;
let t: TestDatabase;
let smtp: SmtpTestServer;
let browser: Browser;
let base: string;

beforeAll(async () => {
  if (!available) return;
  // The confirmation mail is a job: the notifier's worker sends it.
  h = await startApiHarness({ secret: SECRET, smtp: true });
  ({ t, base, browser } = h);
  smtp = h.smtp!;
}, 60_000);

afterAll(async () => {
  await h?.stop();
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

    const token = signToken(SECRET, 'unsubscribe', row.id, null, 1);
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
