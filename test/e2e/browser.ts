import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

/** Debian's chromium (never a downloaded browser): .ci/run installs it. */
export const CHROMIUM = '/usr/bin/chromium';
/** Whether the browser tests can run here; under CI a missing browser fails the run instead of skipping it. */
export const chromiumAvailable = existsSync(CHROMIUM);
if (!chromiumAvailable && process.env.CI)
  throw new Error(`${CHROMIUM} is missing: .ci/run installs the chromium package`);
if (!chromiumAvailable) console.warn(`skipping browser tests: ${CHROMIUM} not installed (apt-get install chromium)`);

/** Chromium as every browser test starts it: headless, no sandbox (root in CI), no GPU, no background traffic. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run', '--disable-sync'],
  });
}
