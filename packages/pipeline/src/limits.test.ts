import { describe, expect, it } from 'vitest';
import { type NormalizedEntry, normalizeEntry } from './entry.js';
import { FIELD_LIMITS, sanitizeRaw, utf8Bytes } from './limits.js';
import { normalizeArxivId, normalizeAuthors } from './normalize.js';

const ok = (raw: Parameters<typeof normalizeEntry>[0]): NormalizedEntry => {
  const result = normalizeEntry(raw);
  if (!result.ok) throw new Error(`rejected: ${result.reason}`);
  return result.entry;
};

// Every character Postgres text cannot hold or that is invisible noise.
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

describe('normalizeEntry bounds every field', () => {
  it('strips NUL and control characters, replaces lone surrogates', () => {
    const e = ok({
      rank: 1,
      title: 'Null\u0000 byte \u0007title \ud800 alone',
      abstract: 'An\u0000 abstract\u001b[31m with\udc00 escapes',
      authors: ['Ada\u0000 Lovelace', 'Bad \udfff Name'],
      url: 'https://example.test/a\u0000b',
      externalId: 'id\u0000\ud801',
      categories: ['cs.LG\u0000'],
    });
    for (const text of [e.title, e.titleKey, e.abstract!, ...e.authors, e.url!, e.externalId, ...e.categories]) {
      expect(text).not.toMatch(CONTROL);
      expect(text).not.toMatch(LONE_SURROGATE);
    }
    expect(e.title).toBe('Null byte title \ufffd alone');
    expect(e.authors[0]).toBe('Ada Lovelace');
    expect(e.url).toBe('https://example.test/ab');
  });

  it('removes bidirectional overrides and isolates, which would make a title read as something else', () => {
    const e = ok({
      rank: 1,
      title: 'Safe \u202eevil\u202c text \u2066isolated\u2069 \u200f',
      authors: ['Ada\u202e Lovelace'],
    });
    expect(e.title).toBe('Safe evil text isolated');
    expect(e.authors).toEqual(['Ada Lovelace']);
    // Zero-width joiners are part of scripts and emoji: kept.
    expect(ok({ rank: 1, title: 'Emoji 👩\u200d🔬 science' }).title).toBe('Emoji 👩\u200d🔬 science');
  });

  it('clamps counts and ranks to the int4 range', () => {
    const e = ok({ rank: 2 ** 40, title: 'Counts', upvotes: 2 ** 31, comments: 1e300 });
    expect(e.upvotes).toBe(FIELD_LIMITS.count.max);
    expect(e.comments).toBe(FIELD_LIMITS.count.max);
    expect(e.rank).toBe(2 ** 31 - 1);
    expect(ok({ rank: -(2 ** 40), title: 'Counts' }).rank).toBe(-(2 ** 31));
  });

  it('caps lengths: titles, ids and keys fit a btree entry', () => {
    const long = 'ﷺ'.repeat(5_000); // one character, 18 after NFKD: the title key grows
    const e = ok({
      rank: 1,
      title: `${long} Title`,
      externalId: 'x'.repeat(10_000),
      url: `https://example.test/${'y'.repeat(10_000)}`,
      abstract: 'a '.repeat(100_000),
      authors: Array.from({ length: 5_000 }, (_, i) => `Author ${i} ${'z'.repeat(1_000)}`),
      categories: Array.from({ length: 1_000 }, (_, i) => `c${i}`),
    });
    expect(e.title.length).toBeLessThanOrEqual(FIELD_LIMITS.title);
    expect(utf8Bytes(e.titleKey)).toBeLessThanOrEqual(FIELD_LIMITS.keyBytes);
    expect(utf8Bytes(e.externalId)).toBeLessThanOrEqual(FIELD_LIMITS.keyBytes);
    expect(e.url).toBeNull(); // a cut URL is a wrong URL: dropped, not truncated
    expect(e.abstract!.length).toBeLessThanOrEqual(FIELD_LIMITS.abstract);
    expect(e.authors.length).toBeLessThanOrEqual(FIELD_LIMITS.authors);
    expect(Math.max(...e.authors.map((a) => a.length))).toBeLessThanOrEqual(FIELD_LIMITS.author);
    expect(e.categories.length).toBeLessThanOrEqual(FIELD_LIMITS.categories);
  });

  it('never cuts a surrogate pair in half', () => {
    const e = ok({ rank: 1, title: '😀a'.repeat(FIELD_LIMITS.title) }); // a high surrogate falls on each cut
    expect(e.title).not.toMatch(LONE_SURROGATE);
  });

  it('keeps dates in a sane range', () => {
    expect(ok({ rank: 1, title: 'T', publishedAt: '+010000-01-01T00:00:00Z' }).publishedAt).toBeNull();
    expect(ok({ rank: 1, title: 'T', publishedAt: '-000001-01-01T00:00:00Z' }).publishedAt).toBeNull();
    expect(ok({ rank: 1, title: 'T', publishedAt: '2026-11-28T00:00:00Z' }).publishedAt?.toISOString()).toBe(
      '2026-11-28T00:00:00.000Z',
    );
  });
});

describe('sanitizeRaw (what rejected_entries.raw keeps)', () => {
  it('makes any value storable as jsonb: no NUL, no lone surrogate, bounded size and depth', () => {
    let deep: unknown = 'bottom';
    for (let i = 0; i < 10_000; i++) deep = [deep];
    const raw = { title: 'a\u0000b\ud800', big: 'x'.repeat(1_000_000), deep, n: Number.NaN };
    const json = JSON.stringify(sanitizeRaw(raw));
    expect(json).not.toContain('\\u0000');
    expect(json).not.toMatch(/\\ud[89ab]/i);
    expect(json.length).toBeLessThan(100_000);
  });
});

// Each of these took minutes (quadratic backtracking) on a 1 MB field before lengths were capped and
// the patterns made linear. Without a cap the test would hit the timeout; it asserts the output is bounded.
describe('regular expressions over untrusted text stay linear', () => {
  const MB = 1_000_000;
  it('normalizeAuthors with a 1 MB run of separators and a non-matching tail', { timeout: 20_000 }, () => {
    const names = normalizeAuthors([`Ada${','.repeat(MB)}x`, `${';'.repeat(MB)}`, `${', '.repeat(MB / 2)}y`]);
    expect(names.every((n) => n.length <= FIELD_LIMITS.author)).toBe(true);
  });

  it('normalizeArxivId with a 1 MB query-like field', { timeout: 20_000 }, () => {
    expect(normalizeArxivId(`${'?'.repeat(MB)}\nx`)).toBeNull();
    expect(normalizeArxivId(`2411.01234${'v1'.repeat(MB / 2)}!`)).toBeNull();
  });

  it('a whole entry of 1 MB fields normalizes to bounded output', { timeout: 20_000 }, () => {
    const huge = `${','.repeat(MB)}x`;
    const e = ok({
      rank: 1,
      title: `Title ${huge}`,
      abstract: huge,
      authors: [huge],
      externalId: huge,
      arxivId: huge,
      url: huge,
      categories: [huge],
    });
    expect(e.title.length).toBeLessThanOrEqual(FIELD_LIMITS.title);
    expect(e.authors.every((a) => a.length <= FIELD_LIMITS.author)).toBe(true);
  });
});
