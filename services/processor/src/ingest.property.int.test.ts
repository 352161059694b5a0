import { randomBytes } from 'node:crypto';
import { PaperRepository } from '@paperboy/db';
import { collapseBatch, loadTaxonomy } from '@paperboy/pipeline';
import { countPapersWithoutSightings, createTestDatabase, type TestDatabase } from '@paperboy/test-utils';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEntries } from './handlers/ingest.handler.js';
import { storeBatch } from './store-batch.js';

/**
 * Property: whatever a listing sends (arbitrary strings with NUL, lone surrogates, megabytes;
 * arbitrary numbers; impossible dates; not even objects), storing a batch never throws, and every
 * entry is accounted for: stored (an alias of its source points at a paper) or rejected with a reason.
 * Normalization alone must make every entry storable: the database refuses none.
 */
let t: TestDatabase;
let repo: PaperRepository;
const settings = { taxonomy: loadTaxonomy(), nearDuplicateThreshold: 0.75 };

beforeAll(async () => {
  t = await createTestDatabase();
  repo = new PaperRepository(t.db);
});
afterAll(async () => t?.drop());

// Incompressible, so an index entry really is as long as the text (btree's limit is ~2,700 bytes).
const big = [
  randomBytes(6_000).toString('base64'),
  'ﷺ'.repeat(3_000),
  `${','.repeat(1_000)}x`,
  'a\u0000'.repeat(5_000),
  '\ud800'.repeat(4_000),
];
const nasty = fc.constantFrom(
  '\u0000',
  '\ud800',
  '\udc00x',
  '\u0007',
  '\u202e',
  'ﷺ',
  ',;,;',
  ' \n\t',
  'Title:',
  'arXiv:',
  '?#',
  '',
);
const text = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  {
    weight: 2,
    arbitrary: fc.array(fc.oneof(nasty, fc.string({ maxLength: 5 })), { maxLength: 12 }).map((parts) => parts.join('')),
  },
  { weight: 1, arbitrary: fc.constantFrom(...big) },
);
const arxivId = fc.oneof(
  fc
    .tuple(fc.integer({ min: 1501, max: 2612 }), fc.integer({ min: 0, max: 99_999 }))
    .map(([yymm, n]) => `${yymm}.${String(n).padStart(5, '0')}`),
  text,
);
const number = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(2 ** 31, 2 ** 31 - 1, 2 ** 53, 1e300, -1, -0, 0.5, Number.MAX_VALUE),
);
const date = fc.oneof(
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
  fc.constantFrom('+010000-01-01T00:00:00Z', '-000001-01-01T00:00:00Z', '0000-00-00', '2026-02-30T00:00:00Z'),
  text,
);
const entry = fc.record(
  {
    rank: number,
    arxivId,
    externalId: text,
    title: text,
    abstract: text,
    authors: fc.array(text, { maxLength: 6 }),
    url: fc.oneof(
      text,
      text.map((s) => `https://example.test/${s}`),
    ),
    upvotes: number,
    comments: number,
    publishedAt: date,
    categories: fc.array(text, { maxLength: 4 }),
    // What else the sources give (issue 13): the same hostile values, through the same normalization.
    primaryCategory: text,
    version: number,
    arxivComments: text,
    journalRef: text,
    doi: text,
    license: fc.oneof(
      text,
      text.map((s) => `https://creativecommons.test/${s}`),
    ),
    githubRepo: fc.oneof(
      text,
      text.map((s) => `https://github.com/${s}`),
    ),
    githubStars: number,
    projectPage: fc.oneof(
      text,
      text.map((s) => `http://example.test/${s}`),
    ),
    aiSummary: text,
    aiKeywords: fc.array(text, { maxLength: 6 }),
    organization: text,
    submittedBy: text,
    thumbnail: text,
    mediaUrls: fc.array(
      fc.oneof(
        text,
        text.map((s) => `https://cdn.test/${s}`),
      ),
      { maxLength: 4 },
    ),
  },
  { requiredKeys: ['rank'] },
);
const batch = fc.array(fc.oneof({ weight: 12, arbitrary: entry }, { weight: 1, arbitrary: fc.anything() }), {
  minLength: 1,
  maxLength: 12,
});

let run = 0;

describe('normalize + store, property-based', () => {
  it('never fails a batch for its data; each entry is stored or rejected with a reason', {
    timeout: 60_000,
  }, async () => {
    await fc.assert(
      fc.asyncProperty(batch, fc.constantFrom('hf-papers', 'generic', 'arxiv-list'), async (raw, adapter) => {
        const source = `prop-${++run}`;
        const context = {
          source,
          adapter,
          listing: `https://prop.test/${run}`,
          seenAt: new Date(Date.UTC(2026, 8, 1, 0, run)),
          fetchId: null,
        };
        const { entries, rejected } = parseEntries(raw);
        const result = await storeBatch(t.db, repo, context, entries, rejected, settings);

        expect(result.entries).toBe(raw.length);
        expect(result.new + result.updated + result.merged + result.rejected + result.repeats).toBe(raw.length);
        const reasons = await t.db
          .selectFrom('rejected_entries')
          .select(['rank', 'reason'])
          .where('source', '=', source)
          .execute();
        expect(reasons.every((r) => r.reason.length > 0)).toBe(true);
        // Normalization makes every entry storable: nothing is left for the database to refuse.
        expect(reasons.filter((r) => r.reason.startsWith('refused by the database'))).toEqual([]);
        const aliases = new Set(
          (await t.db.selectFrom('paper_aliases').select('external_id').where('source', '=', source).execute()).map(
            (a) => a.external_id,
          ),
        );
        const rejectedRanks = new Set(reasons.map((r) => r.rank));
        for (const e of collapseBatch(entries).unique)
          expect(aliases.has(e.externalId) || rejectedRanks.has(e.rank)).toBe(true);
      }),
      { numRuns: 40 },
    );
    // Every batch left the database consistent: no paper without a sighting.
    expect(await countPapersWithoutSightings(t.db)).toBe(0);
  });
});
