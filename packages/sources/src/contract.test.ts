/**
 * Every registered adapter, on every fixture in its folder. Fixture names say what to expect:
 *   `empty-*`  a page with nothing to read: zero entries, and a warning saying so;
 *   `quiet-*`  a listing that is empty by nature (a feed on a weekend): zero entries, no warning, `quiet: true`;
 *   `broken-*` a damaged page the adapter recovers from: entries, and a warning;
 *   others     a good page: entries and no warnings.
 * `test/fixtures/<id>/examples.ts` (optional; required for adapters that take options) gives each
 * fixture its page URL and options; the options are validated with the adapter's schema first,
 * as the fetcher does with a sources file.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { FixtureExample, FixtureExamples } from '../test/fixture-kit/examples.js';
import { createPage } from './page.js';
import { listAdapters } from './registry.js';
import type { ExtractResult, SourceAdapter } from './types.js';

const CONTENT_TYPES: Record<string, SourceAdapter['accepts'][number]> = {
  html: 'text/html',
  json: 'application/json',
  xml: 'application/xml',
};

function fixturesOf(adapter: SourceAdapter): Array<{ name: string; contentType: SourceAdapter['accepts'][number] }> {
  const dir = new URL(`../test/fixtures/${adapter.id}/`, import.meta.url);
  return readdirSync(dir, { withFileTypes: true })
    .filter((f) => f.isFile())
    .flatMap((f) => {
      const contentType = CONTENT_TYPES[f.name.split('.').pop() ?? ''];
      return contentType ? [{ name: f.name, contentType }] : [];
    });
}

async function examplesOf(adapter: SourceAdapter): Promise<FixtureExamples> {
  const file = fileURLToPath(new URL(`../test/fixtures/${adapter.id}/examples.ts`, import.meta.url));
  if (!existsSync(file)) return {};
  const module = (await import(file)) as { fixtureExamples?: FixtureExamples };
  return module.fixtureExamples ?? {};
}

const EXAMPLES = new Map(await Promise.all(listAdapters().map(async (a) => [a.id, await examplesOf(a)] as const)));

/** Read a fixture as the fetcher would: options validated with the adapter's schema, then extract. */
function run(
  adapter: SourceAdapter,
  name: string,
  contentType: string,
  example: FixtureExample | undefined,
): ExtractResult {
  const body = readFileSync(new URL(`../test/fixtures/${adapter.id}/${name}`, import.meta.url), 'utf8');
  const url = example?.url ?? adapter.exampleUrls[0] ?? 'https://example.org/';
  const options = adapter.options ? adapter.options.parse(example?.options) : undefined;
  return adapter.extract(createPage(url, body, contentType), options);
}

describe.each(listAdapters().map((adapter) => [adapter.id, adapter] as const))('adapter %s', (_id, adapter) => {
  it('describes itself', () => {
    expect(adapter.description.length).toBeGreaterThan(10);
    expect(adapter.accepts.length).toBeGreaterThan(0);
    expect(adapter.exampleUrls.length).toBeGreaterThan(0);
    for (const url of adapter.exampleUrls) expect(new URL(url).protocol).toBe('https:');
  });

  const fixtures = fixturesOf(adapter);

  const examples = EXAMPLES.get(adapter.id) ?? {};

  it('has a good fixture, and fixtures only of types it accepts', () => {
    expect(fixtures.some((f) => !/^(empty|quiet|broken)-/.test(f.name))).toBe(true);
    for (const f of fixtures) expect(adapter.accepts, f.name).toContain(f.contentType);
  });

  it('has example options for every fixture when it takes options, and none otherwise', () => {
    for (const name of Object.keys(examples))
      expect(
        fixtures.map((f) => f.name),
        'examples.ts names a missing fixture',
      ).toContain(name);
    for (const f of fixtures) {
      if (adapter.options) expect(examples[f.name]?.options, `no example options for ${f.name}`).toBeDefined();
      else expect(examples[f.name]?.options, `${adapter.id} takes no options`).toBeUndefined();
    }
  });

  it.each(fixtures.map((f) => [f.name, f] as const))('%s', (name, f) => {
    const { entries, warnings, quiet } = run(adapter, name, f.contentType, examples[name]);
    expect(quiet ?? false, 'quiet: true on quiet-* fixtures only').toBe(name.startsWith('quiet-'));

    if (name.startsWith('empty-') || name.startsWith('quiet-')) {
      expect(entries).toEqual([]);
      if (name.startsWith('empty-')) expect(warnings.length).toBeGreaterThan(0);
      else expect(warnings).toEqual([]);
      return;
    }
    expect(entries.length).toBeGreaterThan(0);
    if (name.startsWith('broken-')) expect(warnings.length).toBeGreaterThan(0);
    else expect(warnings).toEqual([]);
    for (const warning of warnings) expect(warning.startsWith(`${adapter.id}: `)).toBe(true);

    expect(entries.map((e) => e.rank)).toEqual(entries.map((_, i) => i + 1));
    const ids = entries.map((e) => e.externalId);
    for (const id of ids) expect(id).toMatch(/\S/);
    expect(new Set(ids).size).toBe(ids.length);
    for (const entry of entries) {
      expect(entry.title, entry.externalId).toMatch(/\S/);
      expect(entry.title, entry.externalId).not.toMatch(/[\r\n\t]|\s{2}|^\s|\s$/);
      expect(entry.url, entry.externalId).toBeDefined();
      expect(new URL(entry.url ?? '').protocol).toMatch(/^https?:$/);
      for (const author of entry.authors ?? []) expect(author).toMatch(/^\S(?:.*\S)?$/);
      if (entry.upvotes !== undefined) expect(Number.isInteger(entry.upvotes) && entry.upvotes >= 0).toBe(true);
      if (entry.comments !== undefined) expect(Number.isInteger(entry.comments) && entry.comments >= 0).toBe(true);
      if (entry.publishedAt !== undefined) expect(new Date(entry.publishedAt).toISOString()).toBe(entry.publishedAt);
    }
  });

  it('is pure: the same page gives the same result twice', () => {
    const f = fixtures.find((x) => !/^(empty|quiet|broken)-/.test(x.name));
    if (!f) throw new Error('no good fixture');
    const body = readFileSync(new URL(`../test/fixtures/${adapter.id}/${f.name}`, import.meta.url), 'utf8');
    const example = examples[f.name];
    const url = example?.url ?? adapter.exampleUrls[0] ?? '';
    const options = adapter.options ? adapter.options.parse(example?.options) : undefined;
    const page = createPage(url, body, f.contentType);
    expect(adapter.extract(page, options)).toEqual(adapter.extract(createPage(url, body, f.contentType), options));
    expect(adapter.extract(page, options)).toEqual(adapter.extract(page, options));
  });
});
