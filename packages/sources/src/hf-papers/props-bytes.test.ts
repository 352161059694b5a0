/**
 * The listing read from a page's bytes must be the listing read from its text: every capture, the
 * edge cases of the byte path (other references, non-ASCII, a backslash before non-ASCII, quoting),
 * and the extract property tests' mutations, each compared both ways.
 */
import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { attributeJson, mutatedJson, mutatedText } from '../../test/fixture-kit/arbitraries.js';
import { createPage } from '../page.js';
import type { ExtractResult, Page } from '../types.js';
import { hfPapersAdapter } from './index.js';

const URL_ = 'https://huggingface.co/papers/date/2026-07-31';
const folder = new URL('../../test/fixtures/hf-papers/', import.meta.url);
const captures = readdirSync(folder)
  .filter((f) => f.endsWith('.html'))
  .map((f) => ({ name: f, text: readFileSync(new URL(f, folder), 'utf8') }));

/** What extract returns, or the error it throws (PageTooComplexError is allowed: Page.$). */
function outcome(page: Page): ExtractResult | Error {
  try {
    return hfPapersAdapter.extract(page);
  } catch (error) {
    return error as Error;
  }
}

function both(text: string): { fromText: ExtractResult | Error; fromBytes: ExtractResult | Error } {
  const bytes = Buffer.from(text, 'utf8');
  return {
    // The text a fetched page decodes to: a lone surrogate (which no bytes can carry, and which
    // generated strings may hold) is U+FFFD on both sides, as it would be in a real page.
    fromText: outcome(createPage(URL_, bytes.toString('utf8'), 'text/html')),
    fromBytes: outcome(createPage(URL_, bytes, 'text/html')),
  };
}

function expectSame(text: string): ExtractResult {
  const { fromText, fromBytes } = both(text);
  expect(fromBytes).toEqual(fromText);
  return fromBytes as ExtractResult;
}

const entry = (id: string, title: string, author = 'A. Author') => ({
  paper: { id, title, summary: `About ${title}`, authors: [{ name: author }], upvotes: 3 },
  numComments: 1,
});

const page = (attribute: string) =>
  `<!doctype html><html><body><div class="SVELTE_HYDRATER" data-target="Header" data-props="{&quot;a&quot;:1}"></div><div class="SVELTE_HYDRATER" data-target="DailyPapers" ${attribute}></div></body></html>`;

describe('hf-papers: the listing from bytes', () => {
  it.each(captures)('reads $name as its text does', ({ text }) => {
    expectSame(text);
  });

  it('decodes non-ASCII text (names, CJK, emoji) exactly', () => {
    const json = { dailyPapers: [entry('2601.00001', 'Über große Modelle 大模型 🚀', 'Zoë Ñúñez')] };
    const { entries } = expectSame(page(`data-props="${attributeJson(json)}"`));
    expect(entries[0]).toMatchObject({ title: 'Über große Modelle 大模型 🚀', authors: ['Zoë Ñúñez'] });
  });

  it('reads attributes with other references, single quotes or odd spacing through the text decoder', () => {
    const json = { dailyPapers: [entry('2601.00002', 'It\'s <fast> & "right" café')] };
    const plain = attributeJson(json);
    const variants = [
      `data-props="${plain.replaceAll("'", '&apos;')}"`,
      `data-props="${plain.replaceAll("'", '&#x27;')}"`,
      `data-props="${plain.replaceAll('é', '&eacute;')}"`,
      `data-props='${JSON.stringify(json).replaceAll('&', '&amp;').replaceAll("'", '&#39;')}'`,
      `data-props\n =\t"${plain}"`,
    ];
    for (const variant of variants) {
      const { entries } = expectSame(page(variant));
      expect(entries[0]?.title).toBe('It\'s <fast> & "right" café');
    }
  });

  it('fails as the text path does on a backslash before a non-ASCII character (invalid JSON either way)', () => {
    const broken = attributeJson({ dailyPapers: [entry('2601.00003', 'x')] }).replace('x', '\\é');
    const { warnings } = expectSame(page(`data-props="${broken}"`));
    expect(warnings.join(' ')).toMatch(/not valid JSON/);
  });

  it('reads a listing page without decoding its body', () => {
    const made = createPage(
      URL_,
      Buffer.from(captures.find((c) => c.name.startsWith('hf-papers-date'))!.text),
      'text/html',
    );
    let bodyReads = 0;
    const watched = new Proxy(made, {
      get: (target, key) => {
        if (key === 'body') bodyReads++;
        return Reflect.get(target, key);
      },
    }) as Page;
    expect(hfPapersAdapter.extract(watched).entries.length).toBeGreaterThan(0);
    expect(bodyReads).toBe(0);
  });

  const listing = captures.find((c) => c.name === 'hf-papers-date-2026-07-31.html')!.text;
  const open = listing.indexOf('data-props="{&quot;dailyPapers&quot;') + 'data-props="'.length;
  const close = listing.indexOf('"', open);
  const before = listing.slice(0, open);
  const after = listing.slice(close);
  const json = JSON.parse(
    listing
      .slice(open, close)
      .replaceAll('&quot;', '"')
      .replaceAll('&lt;', '<')
      .replaceAll('&gt;', '>')
      .replaceAll('&amp;', '&'),
  ) as unknown;

  it('agrees with the text path on mutated captures, hostile JSON values and broken attributes', {
    timeout: 120_000,
  }, () => {
    const seeds = captures.map((c) => c.text);
    fc.assert(
      fc.property(mutatedText(seeds), (text) => void expectSame(text)),
      { numRuns: 40 },
    );
    fc.assert(
      fc.property(mutatedJson(json, 8), (value) => void expectSame(before + attributeJson(value) + after)),
      { numRuns: 40 },
    );
    fc.assert(
      fc.property(mutatedText([attributeJson(json)]), (props) => void expectSame(before + props + after)),
      { numRuns: 40 },
    );
  });
});
