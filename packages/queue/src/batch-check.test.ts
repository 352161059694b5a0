import { describe, expect, it } from 'vitest';
import {
  checkedPayload,
  checkPayloads,
  quickCrawlPageCheck,
  quickIngestCheck,
  quickRawEntryCheck,
} from './batch-check.js';
import { InvalidPayloadError, parsePayload, rawEntrySchema } from './jobs.js';

const built = {
  source: 'hf-daily',
  adapter: 'hf-papers',
  listing: 'https://huggingface.co/papers',
  fetchId: 7,
  crawlId: 3,
  seenAt: new Date('2026-12-06T10:00:00Z').toISOString(),
  contentHash: 'abc',
  chunk: 0,
  entries: [{ title: 'x' }, 'not an object: the processor rejects it, not the schema'],
};

const schemaAccepts = (data: unknown) => {
  try {
    parsePayload('ingest-entries', data);
    return true;
  } catch {
    return false;
  }
};

/** Values of every kind, put in place of each field in turn (and the field left out). */
const odd: unknown[] = [
  undefined,
  null,
  '',
  'x',
  0,
  -1,
  1.5,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  2 ** 60,
  true,
  [],
  [1],
  {},
  '2026-12-06T10:00:00Z',
  '2026-12-06T10:00:00.000+01:00',
  '2026-12-06 10:00:00',
  '2026-13-45T99:99:99.999Z',
  '1 2026-12-06T10:00:00.000Z',
  '2026-02-30T10:00:00.000Z',
  '2026-12-06T24:00:00.000Z',
];

describe('quickIngestCheck', () => {
  it('passes the payloads the fetcher builds', () => {
    expect(quickIngestCheck(built)).toBe(true);
    const { crawlId: _c, adapter: _a, ...replay } = built;
    expect(quickIngestCheck({ ...replay, fetchId: null })).toBe(true);
  });

  it('never passes what the schema refuses (every field replaced by values of every kind, or left out)', () => {
    let refused = 0;
    for (const field of Object.keys(built)) {
      for (const value of odd) {
        const data: Record<string, unknown> = { ...built, [field]: value };
        if (value === undefined) delete data[field];
        const quick = quickIngestCheck(data);
        const schema = schemaAccepts(data);
        if (quick) expect(schema, `${field} = ${String(value)}`).toBe(true);
        if (!schema) refused++;
      }
    }
    for (const data of [null, 'x', 1, [], [built]]) {
      expect(quickIngestCheck(data)).toBe(false);
      expect(schemaAccepts(data)).toBe(false);
    }
    expect(refused).toBeGreaterThan(50); // the loop did try payloads the schema refuses
  });

  it('leaves what it does not pass to the schema: a payload that fails only the quick check is still taken', () => {
    const offset = { ...built, seenAt: '2026-12-06T10:00:00.000+01:00' };
    expect(quickIngestCheck(offset)).toBe(false);
    expect(() => checkPayloads('ingest-entries', [offset])).not.toThrow();
  });

  it("gives the worker's handler a payload that passes the quick check as it is, and refuses what the schema refuses", () => {
    expect(checkedPayload('ingest-entries', built)).toBe(built);
    const offset = { ...built, seenAt: '2026-12-06T10:00:00.000+01:00' };
    expect(checkedPayload('ingest-entries', offset)).toEqual(offset);
    expect(() => checkedPayload('ingest-entries', { ...built, chunk: -1 })).toThrow(InvalidPayloadError);
    expect(() => checkedPayload('crawl-page', { source: '', url: 'x' })).toThrow(InvalidPayloadError);
  });

  it('refuses an invalid payload among valid ones, naming the job', () => {
    expect(() => checkPayloads('ingest-entries', [built, { ...built, chunk: -1 }])).toThrow(InvalidPayloadError);
    expect(() => checkPayloads('ingest-entries', [built, { ...built, entries: 'x' }])).toThrow(
      /^invalid payload for ingest-entries/,
    );
  });
});

describe('quickRawEntryCheck', () => {
  const entry = {
    rank: 3,
    externalId: '2612.00001',
    arxivId: '2612.00001',
    title: 'A title',
    abstract: 'An abstract',
    authors: ['A. Author', 'B. Author'],
    url: 'https://huggingface.co/papers/2612.00001',
    upvotes: 12,
    comments: 0,
    publishedAt: '2026-12-06T10:00:00.000Z',
    section: 'daily',
    categories: ['cs.CL'],
    primaryCategory: 'cs.CL',
    version: 2,
    arxivComments: '10 pages, 7 figures',
    journalRef: 'ApJ 976, 181 (2024)',
    doi: '10.1051/0004-6361/202451080',
    license: 'http://creativecommons.org/licenses/by/4.0/',
    githubRepo: 'https://github.com/example/code',
    githubStars: 251,
    projectPage: 'https://example.github.io/project/',
    aiSummary: 'A short summary.',
    aiKeywords: ['zero-shot annotation', 'LLM-as-a-judge'],
    organization: 'caltech',
    submittedBy: 'RKocielnik',
    thumbnail: 'https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/2612.00001.png',
    mediaUrls: ['https://cdn-uploads.huggingface.co/production/uploads/x/y.png'],
    unknownField: 'kept: the schema passes unknown fields through',
  };
  const schemaData = (item: unknown) => {
    const parsed = rawEntrySchema.safeParse(item);
    return parsed.success ? parsed.data : undefined;
  };
  const entryOdd: unknown[] = [...odd, ['x', 1], ['a', 'b'], [null], -0, 1e300, Number.NEGATIVE_INFINITY];

  it('passes the entries adapters produce, and a bare one', () => {
    expect(quickRawEntryCheck(entry)).toBe(true);
    expect(quickRawEntryCheck({ rank: 1 })).toBe(true);
    expect(quickRawEntryCheck(JSON.parse(JSON.stringify(entry)))).toBe(true);
  });

  it('never passes what the schema refuses, and what it passes the schema returns unchanged', () => {
    let refused = 0;
    let checked = 0;
    for (const field of [...Object.keys(entry), 'rank']) {
      for (const value of entryOdd) {
        const item: Record<string, unknown> = { ...entry, [field]: value };
        if (value === undefined) delete item[field];
        const data = schemaData(item);
        if (data === undefined) refused++;
        if (!quickRawEntryCheck(item)) continue;
        checked++;
        expect(data, `${field} = ${String(value)}`).toBeDefined();
        expect(data, `${field} = ${String(value)}`).toEqual(item);
      }
    }
    expect(refused).toBeGreaterThan(100); // the loop did try entries the schema refuses
    expect(checked).toBeGreaterThan(20); // and entries both pass
  });

  it('leaves anything but a plain object to the schema', () => {
    class Entry {
      rank = 1;
    }
    const bare = Object.assign(Object.create(null), { rank: 1 });
    for (const [i, item] of [null, undefined, 'x', 1, [], [entry], new Entry(), bare, new Date(0)].entries())
      expect(quickRawEntryCheck(item), `item ${i}`).toBe(false);
    // The schema takes a class instance or a prototype-less object: it stays the judge of those.
    expect(schemaData(new Entry())).toEqual({ rank: 1 });
  });
});

describe('quickCrawlPageCheck', () => {
  const page = {
    source: 'hf-daily',
    url: 'https://huggingface.co/papers?date=2026-12-06',
    requestedBy: 'cli',
    adapter: 'hf-papers',
    trigger: 'schedule',
    crawlId: 4,
    throttled: 1,
  };
  const parsed = (data: unknown) => {
    try {
      return { ok: true, value: parsePayload('crawl-page', data) as unknown };
    } catch {
      return { ok: false, value: undefined };
    }
  };

  it('passes the payloads the commands and the scheduler add', () => {
    expect(quickCrawlPageCheck(page)).toBe(true);
    expect(quickCrawlPageCheck({ source: 'hf-papers', url: 'http://127.0.0.1:8080/papers/1', trigger: 'cli' })).toBe(
      true,
    );
  });

  it('never passes what the schema refuses, and what it passes the schema returns unchanged (every field, values of every kind)', () => {
    let refused = 0;
    const more = [...odd, 'not a url', 'https://', 'mailto:x@example.org', 'http://[::1', 'http://example.org/a b'];
    for (const field of [...Object.keys(page), 'unknown']) {
      for (const value of more) {
        const data: Record<string, unknown> = { ...page, [field]: value };
        if (value === undefined) delete data[field];
        const schema = parsed(data);
        if (quickCrawlPageCheck(data)) {
          expect(schema.ok, `${field} = ${String(value)}`).toBe(true);
          expect(schema.value, `${field} = ${String(value)}`).toEqual(data);
        }
        if (!schema.ok) refused++;
      }
    }
    for (const data of [null, 'x', 1, [], [page]]) {
      expect(quickCrawlPageCheck(data)).toBe(false);
      expect(parsed(data).ok).toBe(false);
    }
    expect(refused).toBeGreaterThan(50); // the loop did try payloads the schema refuses
  });

  it('leaves a field the schema does not know to the schema (which strips it)', () => {
    const extra = { ...page, note: 'x' };
    expect(quickCrawlPageCheck(extra)).toBe(false);
    expect(parsed(extra)).toEqual({ ok: true, value: page });
    expect(() => checkPayloads('crawl-page', [extra])).not.toThrow();
  });

  it('refuses an invalid page among valid ones, naming the job', () => {
    expect(() => checkPayloads('crawl-page', [page, { ...page, url: 'not a url' }])).toThrow(
      /^invalid payload for crawl-page/,
    );
    expect(() => checkPayloads('crawl-page', [page, { ...page, crawlId: 1.5 }])).toThrow(InvalidPayloadError);
  });
});
