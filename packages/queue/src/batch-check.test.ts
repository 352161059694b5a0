import { describe, expect, it } from 'vitest';
import { checkPayloads, quickIngestCheck } from './batch-check.js';
import { InvalidPayloadError, parsePayload } from './jobs.js';

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

  it('refuses an invalid payload among valid ones, naming the job', () => {
    expect(() => checkPayloads('ingest-entries', [built, { ...built, chunk: -1 }])).toThrow(InvalidPayloadError);
    expect(() => checkPayloads('ingest-entries', [built, { ...built, entries: 'x' }])).toThrow(
      /^invalid payload for ingest-entries/,
    );
  });
});
