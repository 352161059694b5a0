import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newWebhookSecret, signatureHeader } from '@paperboy/pipeline';
import { afterAll, expect, it } from 'vitest';

// The verification snippet of the README's "Webhooks" section, run as a receiver would copy it.
const dir = mkdtempSync(join(tmpdir(), 'paperboy-snippet-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it("the README's verification snippet accepts our signatures and refuses altered ones", async () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const snippet = /```js\n(import \{ createHmac[\s\S]*?)```/.exec(readme)?.[1];
  expect(snippet).toBeDefined();
  const file = join(dir, 'verify.mjs');
  writeFileSync(file, snippet!);
  const { verifyPaperboy } = (await import(file)) as {
    verifyPaperboy: (header: string | undefined, body: string, secret: string) => boolean;
  };
  const secret = newWebhookSecret();
  const body = '{"id":"0f8fad5b-d9cb-469f-a165-70867728950e","type":"paper.trending"}';
  const now = Math.floor(Date.now() / 1000);
  expect(verifyPaperboy(signatureHeader(secret, now, body), body, secret)).toBe(true);
  expect(verifyPaperboy(signatureHeader([newWebhookSecret(), secret], now, body), body, secret)).toBe(true);
  expect(verifyPaperboy(signatureHeader(secret, now, body), `${body} `, secret)).toBe(false);
  expect(verifyPaperboy(signatureHeader(secret, now, body), body, newWebhookSecret())).toBe(false);
  expect(verifyPaperboy(signatureHeader(secret, now - 600, body), body, secret)).toBe(false);
  expect(verifyPaperboy(undefined, body, secret)).toBe(false);
  expect(verifyPaperboy('t=abc,v1=zz', body, secret)).toBe(false);
});
