import { createTestDatabase, type TestDatabase } from '@paperboy/test-utils';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { growthPerSource } from '../migrations/2026_12_06_0011_growth_per_source.js';
import { DashboardRepository } from './dashboard.repository.js';
import { DigestRepository, growth24hSql, paperGrowth24hSql } from './digest.repository.js';
import { ReadRepository } from './read.repository.js';

// The trending score's 24-hour growth never mixes two sources' counts: a generic listing showing
// 99999 next to Hugging Face's 12 must not make a growth of 99987 (issue 9). Growth is that of the
// source giving the paper's headline counts (papers.counts_source); for legacy papers (no
// counts_source), the largest growth of any one source.

let t: TestDatabase;
const HOUR = 3_600_000;
const ago = (hours: number) => new Date(Date.now() - hours * HOUR);

// Every paper was first seen 2 hours ago: equal decay, so scores compare by counts alone.
//  1 poisoned: headline counts from hf-papers (10 -> 12); a generic listing showed 0 then 99999.
//  2 honest:   headline counts from hf-papers, 12 upvotes, grew by 50 on hf-papers.
//  3 legacy:   counts stored before provenance (counts_origin 'legacy', no counts_source); hf-papers 10 -> 12 (growth 2), a stars listing 1000 -> 1005 (growth 5).
//  4 steady:   headline counts from hf-papers (40, no growth there); another listing went 0 -> 30.
//  5 refused:  an arXiv paper no source gave headline counts (provenance refused the listing's):
//              its growth is not the listing's 0 -> 99999 either.
const PAPERS = [
  { id: 1, upvotes: 12, countsSource: 'hf-papers' },
  { id: 2, upvotes: 12, countsSource: 'hf-papers' },
  { id: 3, upvotes: 12, countsSource: null },
  { id: 4, upvotes: 40, countsSource: 'hf-papers' },
  { id: 5, upvotes: null, countsSource: null },
];
const EXPECTED_GROWTH = new Map([
  [1, 2],
  [2, 50],
  [3, 5],
  [4, 0],
  [5, 0],
]);

/** The score's counts part for a growth (the decay is the same for every paper here). */
const base = (upvotes: number, growth: number) => Math.log(1 + upvotes) + Math.log(1 + growth);

beforeAll(async () => {
  t = await createTestDatabase();
  for (const p of PAPERS) {
    await sql`
      INSERT INTO papers (id, arxiv_id, title, title_key, upvotes, first_seen_at, last_seen_at, counts_source, counts_origin)
      VALUES (${p.id}, ${`2612.0000${p.id}`}, ${`Paper ${p.id}`}, ${`growth paper ${p.id}`}, ${p.upvotes}, ${ago(2)}, ${ago(1)},
              ${p.countsSource}, ${p.countsSource ? 'canonical' : p.upvotes === null ? null : 'legacy'})`.execute(t.db);
  }
  await sql`
    INSERT INTO sightings (paper_id, source, listing, rank, upvotes, seen_at) VALUES
      (1, 'hf-papers', 'daily', 1, 10, ${ago(2)}), (1, 'hf-papers', 'daily', 1, 12, ${ago(1)}),
      (1, 'generic-list', 'top', 1, 0, ${ago(2)}), (1, 'generic-list', 'top', 1, 99999, ${ago(1)}),
      (2, 'hf-papers', 'daily', 2, 0, ${ago(2)}), (2, 'hf-papers', 'daily', 2, 50, ${ago(1.5)}), (2, 'hf-papers', 'daily', 2, 12, ${ago(1)}),
      (3, 'hf-papers', 'daily', 3, 10, ${ago(2)}), (3, 'hf-papers', 'daily', 3, 12, ${ago(1)}),
      (3, 'stars-list', 'top', 1, 1000, ${ago(2)}), (3, 'stars-list', 'top', 1, 1005, ${ago(1)}),
      (4, 'hf-papers', 'daily', 4, 40, ${ago(2)}), (4, 'hf-papers', 'daily', 4, 40, ${ago(1)}),
      (4, 'other-list', 'top', 1, 0, ${ago(2)}), (4, 'other-list', 'top', 1, 30, ${ago(1)}),
      (5, 'arxiv-list', 'cs.LG', 1, NULL, ${ago(2)}), (5, 'generic-list', 'top', 2, 0, ${ago(2)}), (5, 'generic-list', 'top', 2, 99999, ${ago(1)}),
      -- Older than 24 hours: outside every growth window.
      (1, 'hf-papers', 'daily', 1, 0, ${ago(30)})`.execute(t.db);
});
afterAll(async () => t?.drop());

/** Scores divided by paper 2's (same decay): the ratio of their counts parts. */
function ratios(scores: Map<number, number>): Map<number, number> {
  const reference = scores.get(2)!;
  return new Map([...scores].map(([id, score]) => [id, score / reference]));
}

function expectScores(scores: Map<number, number>) {
  const got = ratios(scores);
  for (const p of PAPERS) {
    expect(got.get(p.id), `paper ${p.id}`).toBeCloseTo(
      base(p.upvotes ?? 0, EXPECTED_GROWTH.get(p.id)!) / base(12, 50),
      6,
    );
  }
}

describe('24-hour growth is per source', () => {
  it('digest candidates: growth comes from the headline source only; legacy papers take the largest single-source growth', async () => {
    const candidates = await new DigestRepository(t.db).rankedCandidates();
    expectScores(new Map(candidates.map((c) => [c.id, c.score])));
    // The poisoned paper ranks last, below the honest one it would have beaten.
    expect(candidates.map((c) => c.id)).toEqual([2, 3, 4, 1, 5]);
  });

  it('dashboard: trending_now after a full and after an incremental refresh', async () => {
    const dashboard = new DashboardRepository(t.db);
    const read = async () => {
      const { rows } = await sql<{ paper_id: number; growth_24h: number; score: number }>`
        SELECT paper_id::int, growth_24h, score FROM dashboard.trending_now`.execute(t.db);
      return rows;
    };
    await dashboard.refresh({ full: true });
    // The data contract says so too.
    const { rows: comment } = await sql<{ text: string }>`
      SELECT col_description('dashboard.trending_now'::regclass, a.attnum) AS text FROM pg_attribute a
      WHERE a.attrelid = 'dashboard.trending_now'::regclass AND a.attname = 'growth_24h'`.execute(t.db);
    expect(comment[0]?.text).toContain('papers.counts_source');
    let rows = await read();
    expect(new Map(rows.map((r) => [r.paper_id, r.growth_24h]))).toEqual(EXPECTED_GROWTH);
    expectScores(new Map(rows.map((r) => [r.paper_id, r.score])));

    // A new generic sighting marks the paper; the incremental refresh still ignores it.
    await sql`INSERT INTO sightings (paper_id, source, listing, rank, upvotes, seen_at) VALUES (2, 'generic-list', 'top', 1, 888888, ${ago(0.5)})`.execute(
      t.db,
    );
    await dashboard.refresh();
    rows = await read();
    expect(new Map(rows.map((r) => [r.paper_id, r.growth_24h]))).toEqual(EXPECTED_GROWTH);
    expect((await dashboard.trendingNow(10)).map((r) => [r.paperId, r.growth24h])).toEqual([
      [2, 50],
      [3, 5],
      [4, 0],
      [1, 2],
      [5, 0],
    ]);

    // The headline source changing (same counts) changes the growth at the next refresh.
    await sql`UPDATE papers SET counts_source = 'other-list' WHERE id = 4`.execute(t.db);
    await dashboard.refresh();
    expect((await read()).find((r) => r.paper_id === 4)?.growth_24h).toBe(30);
    await sql`UPDATE papers SET counts_source = 'hf-papers' WHERE id = 4`.execute(t.db);
    await dashboard.refresh();
    expect((await read()).find((r) => r.paper_id === 4)?.growth_24h).toBe(0);
  });

  it('read API: the trending and newest lists score with the same growth', async () => {
    await new DashboardRepository(t.db).refresh({ full: true });
    const repo = new ReadRepository(t.db);
    const byId = (papers: Array<{ arxivId: string | null; score: number }>) =>
      new Map(papers.map((p) => [Number(p.arxivId!.slice(-1)), p.score]));
    const trending = await repo.listPapers({ sort: 'trending', limit: 10 });
    expect(trending.papers.map((p) => p.arxivId)).toEqual([
      '2612.00002',
      '2612.00003',
      '2612.00004',
      '2612.00001',
      '2612.00005',
    ]);
    expectScores(byId(trending.papers));
    expectScores(byId((await repo.listPapers({ sort: 'new', limit: 10 })).papers));
  });

  it("the dashboard refresh's copy of the growth (migration 0011) is the repositories' growth, and so is the lateral form", async () => {
    expect(growthPerSource('s.paper_id = 1')).toBe(growth24hSql('s.paper_id = 1'));
    // And the lateral form (read API, newest list) agrees with it on every paper.
    const { rows } = await sql<{ id: number; set: number | null; one: number | null }>`
      SELECT p.id::int, g.growth::int AS set, l.growth::int AS one FROM papers p
      LEFT JOIN (${sql.raw(growth24hSql())}) g ON g.paper_id = p.id
      LEFT JOIN LATERAL (${sql.raw(paperGrowth24hSql('p'))}) l ON true ORDER BY p.id`.execute(t.db);
    expect(rows.map((r) => [r.id, r.one ?? 0])).toEqual(rows.map((r) => [r.id, r.set ?? 0]));
    expect(rows.map((r) => r.set ?? 0)).toEqual([...EXPECTED_GROWTH.values()]);
  });
});
