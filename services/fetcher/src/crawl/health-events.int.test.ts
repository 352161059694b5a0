import { type CrawlFinish, CrawlRepository } from '@paperboy/db';
import { createLogger } from '@paperboy/logger';
import { createMetrics } from '@paperboy/metrics';
import { eventTypes } from '@paperboy/pipeline';
import {
  blockEventInserts,
  createTestDatabase,
  outboxEvents,
  type TestDatabase,
  unblockEventInserts,
} from '@paperboy/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { announcedHealth, CrawlRecorder, type OutcomeRecord } from './record.js';

let t: TestDatabase;
const metrics = createMetrics({ defaultMetrics: false });
const log = createLogger({ level: 'silent' });
let jobs = 0;

beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => t?.drop());

/** A new crawl of `source`, recorded with `outcome` (a page fetch with it, as most stages record). */
async function crawl(source: string, outcome: OutcomeRecord): Promise<number> {
  jobs += 1;
  const begun = await new CrawlRepository(t.db).beginCrawl({
    source,
    url: `https://example.test/${source}`,
    trigger: 'test',
    jobKey: `job-${jobs}`,
    jobInstance: `crawl:${jobs}:${Date.now()}`,
  });
  const recorder = new CrawlRecorder(
    t.db,
    {
      crawlId: begun.id,
      source,
      adapter: 'hf-papers',
      url: `https://example.test/${source}`,
      job: { attemptsMade: 0, opts: { attempts: 3 } },
      log,
    },
    metrics,
  );
  await recorder.record(outcome, {
    finalUrl: null,
    bytes: 10,
    contentHash: null,
    contentType: 'text/html',
    fetchedAt: new Date(),
    durationMs: 1,
  });
  return begun.id;
}

const transitions = async (source: string) =>
  (await outboxEvents(t.db, { types: ['source.health_changed'] }))
    .filter((e) => e.source === source)
    .map((e) => {
      expect(eventTypes['source.health_changed'].data.safeParse(e.data).success).toBe(true);
      const d = e.data as { from: string | null; to: string; reason: string | null };
      return [d.from, d.to, d.reason];
    });

const ok: OutcomeRecord = { outcome: 'ok', status: 200, entries: 5 };
const suspect: OutcomeRecord = { outcome: 'ok', status: 200, entries: 0, suspect: true, suspectReason: 'no entries' };
const failed: OutcomeRecord = { outcome: 'failed', status: 503, error: 'HTTP 503' };
const retrying: OutcomeRecord = { outcome: 'retrying', status: 503, error: 'HTTP 503' };

describe('source.health_changed', () => {
  it('maps outcomes as sourceHealthOf does: ok, quiet, unchanged healthy; suspect; failed, disallowed failing; retrying none', () => {
    expect(announcedHealth({ ...ok, ...base })?.health).toBe('healthy');
    expect(announcedHealth({ ...base, outcome: 'quiet' })?.health).toBe('healthy');
    expect(announcedHealth({ ...base, outcome: 'not-modified' })?.health).toBe('healthy');
    expect(announcedHealth({ ...base, ...suspect })).toEqual({ health: 'suspect', reason: 'no entries' });
    expect(announcedHealth({ ...base, ...failed })).toEqual({ health: 'failing', reason: 'HTTP 503' });
    expect(announcedHealth({ ...base, outcome: 'disallowed', error: 'robots.txt' })?.health).toBe('failing');
    expect(announcedHealth({ ...base, ...retrying })).toBeNull();
  });

  it('announces each change once, with the crawl that made it; a healthy first crawl silently, a retry never', async () => {
    await crawl('alpha', ok);
    await crawl('alpha', ok);
    expect(await transitions('alpha')).toEqual([]);
    expect(await t.db.selectFrom('event_source_health').selectAll().where('source', '=', 'alpha').execute()).toEqual([
      expect.objectContaining({ health: 'healthy' }),
    ]);
    const suspectCrawl = await crawl('alpha', suspect);
    await crawl('alpha', suspect);
    await crawl('alpha', retrying);
    await crawl('alpha', failed);
    await crawl('alpha', ok);
    expect(await transitions('alpha')).toEqual([
      ['healthy', 'suspect', 'no entries'],
      ['suspect', 'failing', 'HTTP 503'],
      ['failing', 'healthy', null],
    ]);
    const first = (await outboxEvents(t.db, { types: ['source.health_changed'] }))[0]!;
    expect(first.data).toMatchObject({ source: 'alpha', crawlId: suspectCrawl });
  });

  it('announces a source whose first crawl failed, from null', async () => {
    await crawl('beta', failed);
    expect(await transitions('beta')).toEqual([[null, 'failing', 'HTTP 503']]);
  });

  it('announces a change once when crawls of the source record it at the same moment', async () => {
    await crawl('delta', ok);
    await Promise.all(Array.from({ length: 6 }, () => crawl('delta', failed)));
    expect(await transitions('delta')).toEqual([['healthy', 'failing', 'HTTP 503']]);
  });

  it('writes the crawl outcome, the health and the event together: an event insert that fails leaves none', async () => {
    await crawl('gamma', ok);
    await blockEventInserts(t.db, { error: 'outbox refused (test)' });
    try {
      await expect(crawl('gamma', failed)).rejects.toThrow(/outbox refused/);
    } finally {
      await unblockEventInserts(t.db);
    }
    const last = await t.db
      .selectFrom('crawls')
      .select(['outcome'])
      .where('source', '=', 'gamma')
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow();
    expect(last.outcome).toBe('running');
    const health = await t.db
      .selectFrom('event_source_health')
      .select('health')
      .where('source', '=', 'gamma')
      .execute();
    expect(health).toEqual([{ health: 'healthy' }]);
    expect(await transitions('gamma')).toEqual([]);
  });
});

const base: Omit<CrawlFinish, 'outcome'> = {
  status: null,
  entries: null,
  batches: null,
  error: null,
  warnings: [],
  suspect: false,
  suspectReason: null,
};
