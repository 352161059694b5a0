import type { Page } from 'playwright-core';

/** The injected script's view of the page (the e2e tests compile without the DOM library). */
type CspWindow = {
  __csp?: string[];
  document: {
    addEventListener(
      type: string,
      listener: (e: { violatedDirective: string; blockedURI: string; sample: string }) => void,
    ): void;
  };
};

/**
 * Collects the Content-Security-Policy violations a page reports: the DOM's securitypolicyviolation
 * events (recorded by a script the browser injects, which the page's CSP does not govern) and the
 * console's "Refused to …" lines (reported even with JavaScript off).
 */
export async function watchCspViolations(page: Page): Promise<() => Promise<string[]>> {
  const lines: string[] = [];
  page.on('console', (m) => /Content Security Policy|Refused to/i.test(m.text()) && lines.push(m.text()));
  await page.addInitScript(() => {
    const w = globalThis as unknown as CspWindow;
    const seen: string[] = [];
    w.__csp = seen;
    w.document.addEventListener('securitypolicyviolation', (e) =>
      seen.push(`${e.violatedDirective} ${e.blockedURI} ${e.sample}`),
    );
  });
  return async () => {
    const events = await page.evaluate(() => (globalThis as unknown as CspWindow).__csp ?? []).catch(() => []);
    return [...lines, ...events];
  };
}

/** A computed style property of the first element the selector matches. */
export const computedStyle = (page: Page, selector: string, property: string): Promise<string> =>
  page
    .locator(selector)
    .first()
    .evaluate(
      (e, p) =>
        (globalThis as unknown as { getComputedStyle(e: unknown): Record<string, string> }).getComputedStyle(e)[p]!,
      property,
    );
