import { ReaderRepository, SubscriberRepository } from '@paperboy/db';
import { signToken } from '@paperboy/pipeline';
import { insertPaperRows, type TestDatabase } from '@paperboy/test-utils';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, startApiHarness } from './api-harness.js';
import { chromiumAvailable } from './browser.js';
import { watchCspViolations } from './csp.js';

/**
 * The feedback links of a digest in a real browser (Debian's chromium): a click on "more like this"
 * in the mail records the word and the notifier's train-reader job trains the reader's model, Undo
 * takes it back, Redo gives it again, and the preferences page shows it and clears it. The mail here is a page with the links the digest carries (the digest's
 * own rendering is tested with the notifier); clicking them is what a reader does.
 */
const SECRET = 'feedback-browser-secret-Tb5Rn2Kq8Wm4Ys';
let h: ApiHarness;
let t: TestDatabase;
let base: string;
let browser: Browser;

beforeAll(async () => {
  if (!chromiumAvailable) return;
  h = await startApiHarness({ secret: SECRET, smtp: false });
  ({ t, base, browser } = h);
}, 60_000);

afterAll(async () => {
  await h?.stop();
});

describe.skipIf(!chromiumAvailable)('feedback links in a browser', () => {
  it('click, undo, redo; the preferences page shows the word and clears it', async () => {
    const { id } = await new SubscriberRepository(t.db).subscribe(
      'clicker@example.org',
      { topics: [], frequency: 'daily' },
      'active',
    );
    const [paperId] = await insertPaperRows(t.db, [
      {
        arxiv_id: '2612.40000',
        title: 'Sparse <mixture> of experts & routing',
        title_key: 'sparse mixture of experts routing',
        first_seen_at: new Date(),
        last_seen_at: new Date(),
      },
    ]);
    const link = (signal: 1 | -1) =>
      `${base}/feedback?token=${signToken(SECRET, 'feedback', id, null, 1, { paperId: paperId!, signal })}`;
    const readers = new ReaderRepository(t.db);
    const words = async () => (await readers.feedbackSummary(id, 20)).latest.map((w) => w.signal);

    const page = await browser.newPage({ javaScriptEnabled: false }); // the pages work without JavaScript
    const violations = await watchCspViolations(page);
    await page.setContent(
      `<p>Sparse &lt;mixture&gt; of experts &amp; routing</p><a id="more" href="${link(1)}">More like this</a> <a id="less" href="${link(-1)}">Less like this</a>`,
    );
    await page.click('#more');
    expect(await page.locator('h1').textContent()).toBe('Noted');
    expect(await page.locator('[role=status]').textContent()).toBe(
      'Noted: you want more papers like “Sparse <mixture> of experts & routing”.',
    );
    expect(await words()).toEqual([1]);
    // The training the click queued (after its 5 s merge delay) stores the reader's model.
    const deadline = Date.now() + 20_000;
    while ((await readers.readerModel(id)) === null && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 200));
    expect((await readers.readerModel(id))?.examples).toBe(1);

    await page.click('button:has-text("Undo")');
    expect(await page.locator('h1').textContent()).toBe('Undone');
    expect(await words()).toEqual([]);

    await page.click('a:has-text("Redo")');
    expect(await page.locator('h1').textContent()).toBe('Noted');
    expect(await words()).toEqual([1]);

    await page.click('a:has-text("Your preferences")');
    expect(await page.locator('h1').textContent()).toBe('Your digest preferences');
    expect(await page.locator('section li').first().textContent()).toMatch(
      /^More like “Sparse <mixture> of experts & routing” \(\d{4}-\d{2}-\d{2}\)$/,
    );
    await page.click('button:has-text("Clear what paperboy learned")');
    expect(await page.locator('[role=status]').textContent()).toMatch(/^Cleared/);
    expect(await words()).toEqual([]);
    expect(await violations()).toEqual([]);
    await page.close();
  }, 60_000);
});
