import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderDigest } from '@paperboy/mail';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { feedbackOf, paper, richDigestInput } from '../../packages/mail/src/digest.fixtures.js';
import { chromiumAvailable, launchChromium } from './browser.js';

/**
 * The digest's HTML in a real browser (Debian's chromium, driven by playwright-core), at a phone
 * width and a desktop one, in the light and the dark scheme: layout facts that can fail (no
 * horizontal overflow, a fluid card, colours that change and keep their contrast), no request to
 * anything outside the mail, and screenshots compared with the committed baselines in
 * test/screenshots/digest/ (UPDATE_SCREENSHOTS=1 rewrites them; a mismatch writes `<name>.actual.png`
 * beside its baseline). Without chromium these tests are skipped with a note, as the other browser tests.
 */
const available = chromiumAvailable;

const SCREENSHOTS = join(dirname(fileURLToPath(import.meta.url)), '..', 'screenshots', 'digest');
/** Share of pixels that may differ (by more than PIXEL_THRESHOLD in a channel) from the baseline. */
const MAX_DIFFERENT_PIXELS = 0.01;
const PIXEL_THRESHOLD = 48;

// The fixture digest, plus a title that is one unbroken 150-character word: it must wrap, not overflow.
const input = richDigestInput();
const digest = renderDigest({
  ...input,
  papers: [...input.papers, paper({ arxivId: null, title: `Unbroken${'x'.repeat(142)}`, topics: ['llm'] })],
});

const VIEWPORTS = { phone: { width: 375, height: 812 }, desktop: { width: 1024, height: 900 } } as const;
type Scheme = 'light' | 'dark';

let browser: Browser;

beforeAll(async () => {
  if (!available) return;
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
});

/** The digest in a page of that size and scheme; `requests` lists anything it tried to load. */
async function open(viewport: (typeof VIEWPORTS)[keyof typeof VIEWPORTS], scheme: Scheme) {
  const page = await browser.newPage({ viewport });
  const requests: string[] = [];
  await page.route('**/*', (route) => {
    requests.push(route.request().url());
    return route.abort();
  });
  await page.emulateMedia({ colorScheme: scheme });
  await page.setContent(digest.html, { waitUntil: 'load' });
  return { page, requests };
}

// Runs in the page (the e2e tests compile without the DOM library, hence a string).
const FACTS = `(() => {
  const rgb = (value) => (value.match(/[\\d.]+/g) || []).slice(0, 4).map(Number);
  const opaque = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const luminance = ([r, g, b]) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const contrast = (el) => {
    const a = luminance(rgb(getComputedStyle(el).color).slice(0, 3));
    const b = luminance(opaque(el));
    return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
  };
  const all = (selector) => [...document.querySelectorAll(selector)];
  const titles = all('td.pb-rule > a.pb-link:first-child');
  const texts = [...all('p.pb-text'), ...all('p.pb-muted')];
  const card = document.querySelector('table.pb-card').getBoundingClientRect();
  return {
    scrollWidth: document.documentElement.scrollWidth,
    clientWidth: document.documentElement.clientWidth,
    cardWidth: card.width,
    bodyColor: getComputedStyle(document.body).color,
    bodyBackground: getComputedStyle(document.body).backgroundColor,
    cardBackground: opaque(document.querySelector('table.pb-card td')),
    titles: titles.map((a) => ({ text: a.textContent, href: a.getAttribute('href'), contrast: contrast(a), right: a.getBoundingClientRect().right })),
    minTextContrast: Math.min(...texts.map(contrast)),
    links: all('a[href]').map((a) => a.getAttribute('href')),
  };
})()`;

interface Facts {
  scrollWidth: number;
  clientWidth: number;
  cardWidth: number;
  bodyColor: string;
  bodyBackground: string;
  cardBackground: number[];
  titles: Array<{ text: string; href: string; contrast: number; right: number }>;
  minTextContrast: number;
  links: string[];
}

const facts = (page: Page) => page.evaluate<Facts>(FACTS);

/** Share of pixels of two PNGs differing by more than PIXEL_THRESHOLD in a channel, decoded by the browser itself; 1 when their sizes differ. */
async function pixelDifference(a: Buffer, b: Buffer): Promise<number> {
  const page = await browser.newPage();
  try {
    return await page.evaluate<number>(`(async () => {
      const load = async (b64) => {
        const bitmap = await createImageBitmap(await (await fetch('data:image/png;base64,' + b64)).blob());
        const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
        const ctx = canvas.getContext('2d');
        ctx.drawImage(bitmap, 0, 0);
        return ctx.getImageData(0, 0, bitmap.width, bitmap.height);
      };
      const [x, y] = await Promise.all([load('${a.toString('base64')}'), load('${b.toString('base64')}')]);
      if (x.width !== y.width || x.height !== y.height) return 1;
      let different = 0;
      for (let i = 0; i < x.data.length; i += 4) {
        if (Math.abs(x.data[i] - y.data[i]) > ${PIXEL_THRESHOLD} || Math.abs(x.data[i + 1] - y.data[i + 1]) > ${PIXEL_THRESHOLD} ||
            Math.abs(x.data[i + 2] - y.data[i + 2]) > ${PIXEL_THRESHOLD}) different++;
      }
      return different / (x.width * x.height);
    })()`);
  } finally {
    await page.close();
  }
}

/** Compares a screenshot with its committed baseline (written when missing or asked to). */
async function matchBaseline(name: string, shot: Buffer): Promise<number> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const baseline = join(SCREENSHOTS, `${name}.png`);
  if (!existsSync(baseline) || process.env.UPDATE_SCREENSHOTS === '1') {
    if (process.env.CI && !existsSync(baseline)) throw new Error(`${baseline} is missing: commit it`);
    writeFileSync(baseline, shot);
    return 0;
  }
  const difference = await pixelDifference(readFileSync(baseline), shot);
  if (difference > MAX_DIFFERENT_PIXELS) writeFileSync(join(SCREENSHOTS, `${name}.actual.png`), shot);
  return difference;
}

describe.skipIf(!available)('digest HTML in chromium', () => {
  const shots = new Map<string, Buffer>();

  for (const [size, viewport] of Object.entries(VIEWPORTS)) {
    for (const scheme of ['light', 'dark'] as const) {
      it(`${size} (${viewport.width}px), ${scheme}: fits, reads, links, loads nothing, matches its screenshot`, async () => {
        const { page, requests } = await open(viewport, scheme);
        try {
          const f = await facts(page);
          // No horizontal scrolling, even with a 150-character word in a title.
          expect(f.scrollWidth).toBeLessThanOrEqual(f.clientWidth);
          for (const title of f.titles) expect(title.right).toBeLessThanOrEqual(viewport.width);
          // Fluid up to 600px: the whole width on a phone (less the margins), 600 on a desktop.
          if (size === 'phone') expect(f.cardWidth).toBeLessThanOrEqual(viewport.width);
          else expect(f.cardWidth).toBe(600);
          // Titles and every paragraph readable against what is behind them (WCAG AA: 4.5).
          expect(f.titles).toHaveLength(5);
          for (const title of f.titles) expect(title.contrast).toBeGreaterThanOrEqual(4.5);
          expect(f.minTextContrast).toBeGreaterThanOrEqual(4.5);
          expect(f.titles[0]).toMatchObject({ href: 'https://arxiv.org/abs/2612.04567' });
          expect(f.links).toEqual(
            expect.arrayContaining([
              'https://arxiv.org/pdf/2612.04567',
              'https://github.com/example-lab/draft-trees',
              'https://huggingface.co/papers/2612.04567#community',
              'https://paperboy.example/unsubscribe?token=abc',
              feedbackOf(1).moreUrl,
              feedbackOf(4).lessUrl,
            ]),
          );
          // No image, font or tracker: nothing was requested.
          expect(requests).toEqual([]);
          const shot = await page.screenshot({ fullPage: true });
          shots.set(`${size}-${scheme}`, shot);
          expect(await matchBaseline(`${size}-${scheme}`, shot)).toBeLessThanOrEqual(MAX_DIFFERENT_PIXELS);
        } finally {
          await page.close();
        }
      });
    }
  }

  it('the dark scheme changes the colours of the body and the card', async () => {
    const light = await open(VIEWPORTS.phone, 'light');
    const dark = await open(VIEWPORTS.phone, 'dark');
    try {
      const [l, d] = await Promise.all([facts(light.page), facts(dark.page)]);
      expect(d.bodyBackground).not.toBe(l.bodyBackground);
      expect(d.bodyColor).not.toBe(l.bodyColor);
      expect(d.cardBackground).not.toEqual(l.cardBackground);
      // Dark means dark: the card's background is darker than its light one.
      expect(Math.max(...d.cardBackground)).toBeLessThan(64);
    } finally {
      await Promise.all([light.page.close(), dark.page.close()]);
    }
  });

  it('the screenshot comparison tells different renderings apart', async () => {
    const light = shots.get('phone-light');
    const dark = shots.get('phone-dark');
    expect(light && dark).toBeTruthy();
    expect(await pixelDifference(light!, light!)).toBe(0);
    expect(await pixelDifference(light!, dark!)).toBeGreaterThan(MAX_DIFFERENT_PIXELS);
  });
});
