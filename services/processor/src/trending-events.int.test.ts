import { DashboardRepository, PaperRepository } from '@paperboy/db';
import { createLogger } from '@paperboy/logger';
import { createMetrics } from '@paperboy/metrics';
import { eventTypes, loadTaxonomy } from '@paperboy/pipeline';
import type { Job } from '@paperboy/queue';
import { createTestDatabase, outboxEvents, type TestDatabase } from '@paperboy/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEntries } from './handlers/ingest.handler.js';
import { createRefreshDashboardHandler } from './handlers/refresh-dashboard.handler.js';
import { storeBatch } from './store-batch.js';

let t: TestDatabase;
const metrics = createMetrics({ defaultMetrics: false });
const settings = { taxonomy: loadTaxonomy(), nearDuplicateThreshold: 0.75 };
const job = { queueName: 'maintenance', id: '1', name: 'refresh-dashboard', data: {} } as unknown as Job;

beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => t?.drop());

/** Stores papers 2612.3000<n> with these upvotes, seen now (so they are in the trending window). */
async function crawl(upvotes: Record<number, number>) {
  const { entries, rejected } = parseEntries(
    Object.entries(upvotes).map(([n, votes], i) => ({
      rank: i + 1,
      arxivId: `2612.3000${n}`,
      title: `Paper number ${n} about something quite different ${'xyz'.repeat(Number(n))}`,
      authors: [`Author ${n}`],
      upvotes: votes,
    })),
  );
  await storeBatch(
    t.db,
    new PaperRepository(t.db),
    { source: 'hf-papers', listing: 'https://example.test/hf', seenAt: new Date(), fetchId: null },
    entries,
    rejected,
    settings,
  );
}

const trendingEvents = async () =>
  (await outboxEvents(t.db, { types: ['paper.trending'] })).map((e) => {
    expect(eventTypes['paper.trending'].data.safeParse(e.data).success).toBe(true);
    const data = e.data as { reason: string; rank: number; paper: { arxivId: string } };
    return [data.paper.arxivId, data.reason, data.rank];
  });

/** The announced list (arXiv ids by rank), and the trending list's top 2 as the dashboard shows it. */
const announced = async () =>
  (
    await t.db
      .selectFrom('event_trending')
      .innerJoin('papers', 'papers.id', 'event_trending.paper_id')
      .select('papers.arxiv_id')
      .orderBy('event_trending.rank')
      .execute()
  ).map((r) => r.arxiv_id);
const top2 = async () => (await new DashboardRepository(t.db).trendingNow(2)).map((r) => r.arxivId);

describe('trending top N (paper.trending, reason top)', () => {
  it('announces the papers entering the top N in the refresh, forgets leavers, and announces a re-entry again', async () => {
    const refresh = createRefreshDashboardHandler({
      db: t.db,
      logger: createLogger({ level: 'silent' }),
      metrics,
      trendingTop: 2,
    });
    await crawl({ 1: 300, 2: 200, 3: 100 });
    await refresh({ full: true }, job);
    expect(await trendingEvents()).toEqual([
      ['2612.30001', 'top', 1],
      ['2612.30002', 'top', 2],
    ]);
    expect(await announced()).toEqual(['2612.30001', '2612.30002']);

    // Nothing moved: nothing announced.
    await refresh({ full: true }, job);
    expect(await trendingEvents()).toHaveLength(2);

    // Paper 3 jumps (its 24-hour growth counts too): it enters first, paper 2 leaves.
    await crawl({ 3: 250 });
    await refresh({ full: true }, job);
    expect(await top2()).toEqual(['2612.30003', '2612.30001']);
    expect((await trendingEvents()).slice(2)).toEqual([['2612.30003', 'top', 1]]);
    expect(await announced()).toEqual(['2612.30003', '2612.30001']);

    // Paper 2 comes back above both: announced again (paper 1 leaves).
    await crawl({ 2: 900 });
    await refresh({ full: true }, job);
    expect(await top2()).toEqual(['2612.30002', '2612.30003']);
    expect((await trendingEvents()).slice(3)).toEqual([['2612.30002', 'top', 1]]);
    expect(await announced()).toEqual(['2612.30002', '2612.30003']);
  });

  it('announces nothing with trendingTop 0', async () => {
    const before = (await trendingEvents()).length;
    const refresh = createRefreshDashboardHandler({ db: t.db, logger: createLogger({ level: 'silent' }) });
    await crawl({ 4: 5000 });
    await refresh({ full: true }, job);
    expect(await trendingEvents()).toHaveLength(before);
  });
});
