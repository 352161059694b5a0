/**
 * Every registered adapter, on every fixture in its folder. Fixture names say what to expect:
 *   `empty-*`  a page with nothing to read: zero entries, and a warning saying so;
 *   `broken-*` a damaged page the adapter recovers from: entries, and a warning;
 *   others     a good page: entries and no warnings.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createPage } from './page.js';
import { listAdapters } from './registry.js';
import type { SourceAdapter } from './types.js';

const CONTENT_TYPES: Record<string, SourceAdapter['accepts'][number]> = {
  html: 'text/html',
  json: 'application/json',
  xml: 'application/xml',
};

function fixturesOf(adapter: SourceAdapter): Array<{ name: string; contentType: SourceAdapter['accepts'][number] }> {
  const dir = new URL(`./${adapter.id}/fixtures/`, import.meta.url);
  return readdirSync(dir, { withFileTypes: true })
    .filter((f) => f.isFile())
    .flatMap((f) => {
      const contentType = CONTENT_TYPES[f.name.split('.').pop() ?? ''];
      return contentType ? [{ name: f.name, contentType }] : [];
    });
}

describe.each(listAdapters().map((adapter) => [adapter.id, adapter] as const))('adapter %s', (_id, adapter) => {
  it('describes itself', () => {
    expect(adapter.description.length).toBeGreaterThan(10);
    expect(adapter.accepts.length).toBeGreaterThan(0);
    expect(adapter.exampleUrls.length).toBeGreaterThan(0);
    for (const url of adapter.exampleUrls) expect(new URL(url).protocol).toBe('https:');
  });

  const fixtures = fixturesOf(adapter);

  it('has a good fixture, and fixtures only of types it accepts', () => {
    expect(fixtures.some((f) => !/^(empty|broken)-/.test(f.name))).toBe(true);
    for (const f of fixtures) expect(adapter.accepts, f.name).toContain(f.contentType);
  });

  it.each(fixtures.map((f) => [f.name, f] as const))('%s', (name, f) => {
    const body = readFileSync(new URL(`./${adapter.id}/fixtures/${name}`, import.meta.url), 'utf8');
    const pageUrl = adapter.exampleUrls[0] ?? 'https://example.org/';
    const { entries, warnings } = adapter.extract(createPage(pageUrl, body, f.contentType));

    if (name.startsWith('empty-')) {
      expect(entries).toEqual([]);
      expect(warnings.length).toBeGreaterThan(0);
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
    const f = fixtures.find((x) => !/^(empty|broken)-/.test(x.name));
    if (!f) throw new Error('no good fixture');
    const body = readFileSync(new URL(`./${adapter.id}/fixtures/${f.name}`, import.meta.url), 'utf8');
    const url = adapter.exampleUrls[0] ?? '';
    const page = createPage(url, body, f.contentType);
    expect(adapter.extract(page)).toEqual(adapter.extract(createPage(url, body, f.contentType)));
    expect(adapter.extract(page)).toEqual(adapter.extract(page));
  });
});
