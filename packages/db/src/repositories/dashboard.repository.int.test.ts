import { createTestDatabase, type TestDatabase } from '@paperboy/test-utils';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TRENDING_SCORE_SQL_0004 } from '../migrations/2026_11_28_0004_dashboard.js';
import { DashboardRepository } from './dashboard.repository.js';
import { DigestRepository, growth24hSql, TRENDING_SCORE_SQL } from './digest.repository.js';

let t: TestDatabase;
let dashboard: DashboardRepository;

const HOUR = 3_600_000;
// Anchor: every "today" sighting happens at T (so two of them can never straddle midnight);
// T - 24h and T - 48h are then exactly the two UTC days before.
const T = new Date(Date.now() - 2 * HOUR);
const at = (hoursBeforeT: number) => new Date(T.getTime() - hoursBeforeT * HOUR);
const utcDay = (date: Date) => date.toISOString().slice(0, 10);
const [D2, D1, D0] = [utcDay(at(48)), utcDay(at(24)), utcDay(T)];
const NOW = new Date(T.getTime() + 2 * HOUR); // approximately now(): for source health

beforeAll(async () => {
  t = await createTestDatabase();
  dashboard = new DashboardRepository(t.db);

  // A: computed llm (position 0) and vision; first seen 2 days back, sighted each day.
  // B: computed llm, labelled vision (the label wins). C: no topics, no upvotes (arXiv only).
  // D: computed vision, labelled agents and robotics (the first label by id wins). E: old.
  await sql`
    INSERT INTO papers (id, arxiv_id, title, title_key, upvotes, first_seen_at, last_seen_at) VALUES
      (1, '2611.10001', 'Alpha', 'alpha', 30, ${at(48)}, ${T}),
      (2, '2611.10002', 'Beta', 'beta', 12, ${at(48)}, ${at(24)}),
      (3, '2611.10003', 'Gamma', 'gamma', NULL, ${at(24)}, ${at(24)}),
      (4, '2611.10004', 'Delta', 'delta', 5, ${T}, ${T}),
      (5, '2610.99999', 'Epsilon', 'epsilon', 500, ${at(30 * 24)}, ${at(20 * 24)})`.execute(t.db);
  // Their counts came from Hugging Face, as provenance (migration 0008) records it: growth is that source's (0011).
  await sql`UPDATE papers SET counts_source = 'hf-papers', counts_origin = 'canonical' WHERE upvotes IS NOT NULL`.execute(
    t.db,
  );
  await sql`
    INSERT INTO paper_topics (paper_id, topic_id, score, position, taxonomy_version) VALUES
      (1, 'llm', 0.9, 0, 'v'), (1, 'vision', 0.5, 1, 'v'), (2, 'llm', 0.8, 0, 'v'),
      (4, 'vision', 0.7, 0, 'v'), (5, 'llm', 0.9, 0, 'v')`.execute(t.db);
  await sql`INSERT INTO paper_labels (paper_id, topic_id) VALUES (2, 'vision'), (4, 'robotics'), (4, 'agents')`.execute(
    t.db,
  );
  await sql`
    INSERT INTO sightings (paper_id, source, listing, rank, upvotes, comments, stars, seen_at) VALUES
      (1, 'arxiv-list', 'cs.LG', 5, NULL, NULL, NULL, ${at(48)}),
      (1, 'hf-papers', 'daily', 1, 10, 1, 100, ${at(48)}),
      (1, 'hf-papers', 'daily', 2, 20, 2, 150, ${at(24)}),
      (1, 'hf-papers', 'daily', 1, 30, 4, 180, ${T}),
      (1, 'hf-papers', 'trending', 3, 26, 4, 175, ${T}),
      (2, 'hf-papers', 'daily', 2, 4, 0, NULL, ${at(48)}),
      (2, 'hf-papers', 'daily', 1, 12, 0, NULL, ${at(24)}),
      (3, 'arxiv-list', 'cs.LG', 1, NULL, NULL, NULL, ${at(24)}),
      (4, 'hf-papers', 'daily', 2, 5, 0, 40, ${T}),
      (5, 'hf-papers', 'daily', 1, 500, 9, NULL, ${at(20 * 24)})`.execute(t.db);
  // Code (migration 0020): Alpha with 180 stars, Delta with 40, Beta with unknown stars; Gamma none.
  await sql`
    UPDATE papers SET code_url = 'https://github.com/org/' || title_key, project_page = CASE WHEN id = 1 THEN 'https://alpha.example' END,
        code_stars = CASE id WHEN 1 THEN 180 WHEN 4 THEN 40 END, primary_category = 'cs.LG'
      WHERE id IN (1, 2, 4)`.execute(t.db);

  // hf-papers: a good crawl, then a suspect one, then one still running, and an old failure.
  // arxiv-list: a good crawl, then a failure. generic-x: only a failure. rss: only running.
  await sql`
    INSERT INTO crawls (source, url, trigger, started_at, finished_at, status, outcome, entries, suspect, suspect_reason) VALUES
      ('hf-papers', 'u1', 'schedule', ${new Date(NOW.getTime() - 30 * HOUR)}, ${NOW}, 500, 'failed', NULL, false, NULL),
      ('hf-papers', 'u1', 'schedule', ${new Date(NOW.getTime() - 3 * HOUR)}, ${NOW}, 200, 'ok', 50, false, NULL),
      ('hf-papers', 'u1', 'schedule', ${new Date(NOW.getTime() - 1 * HOUR)}, ${NOW}, 200, 'ok', 0, true, 'no listing found'),
      ('hf-papers', 'u1', 'schedule', ${new Date(NOW.getTime() - 0.1 * HOUR)}, NULL, NULL, 'running', NULL, false, NULL),
      ('arxiv-list', 'u2', 'schedule', ${new Date(NOW.getTime() - 5 * HOUR)}, ${NOW}, 200, 'ok', 100, false, NULL),
      ('arxiv-list', 'u2', 'schedule', ${new Date(NOW.getTime() - 2 * HOUR)}, ${NOW}, 503, 'failed', NULL, false, NULL),
      ('generic-x', 'u3', 'schedule', ${new Date(NOW.getTime() - 4 * HOUR)}, ${NOW}, 404, 'failed', NULL, false, NULL),
      ('rss', 'u4', 'schedule', ${new Date(NOW.getTime() - 0.5 * HOUR)}, NULL, NULL, 'running', NULL, false, NULL)`.execute(
    t.db,
  );

  await sql`
    INSERT INTO subscribers (id, email, status) VALUES (1, 'a@example.org', 'active'), (2, 'b@example.org', 'active'), (3, 'c@example.org', 'active')`.execute(
    t.db,
  );
  await sql`
    INSERT INTO deliveries (subscriber_id, period_key, status, planned_at) VALUES
      (1, 'daily-1', 'sent', ${at(24)}), (2, 'daily-1', 'skipped', ${at(24)}), (3, 'daily-1', 'failed', ${at(24)}),
      (1, 'daily-2', 'sent', ${T}), (2, 'daily-2', 'planned', ${T}), (3, 'daily-2', 'claimed', ${T})`.execute(t.db);
  // The precomputed views (migration 0006) show these rows once refreshed.
  await dashboard.refresh();
});
afterAll(async () => t?.drop());

describe('dashboard views', () => {
  it('documents every view and every column', async () => {
    const { rows: views } = await sql<{ name: string; comment: string | null }>`
      SELECT c.relname AS name, obj_description(c.oid, 'pg_class') AS comment FROM pg_class c
      JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'dashboard' ORDER BY c.relname`.execute(t.db);
    expect(views.map((v) => v.name)).toEqual([
      'claimed_deliveries',
      'digest_stats',
      'paper_history',
      'papers_per_day',
      'papers_per_topic_day',
      'papers_with_code',
      'refreshes',
      'source_health',
      'stars_per_day',
      'topic_trends',
      'trending_now',
    ]);
    expect(views.filter((v) => !v.comment)).toEqual([]);
    const { rows: undocumented } = await sql<{ view: string; column: string }>`
      SELECT c.relname AS view, a.attname AS column FROM pg_attribute a
      JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'dashboard' AND a.attnum > 0 AND NOT a.attisdropped AND col_description(c.oid, a.attnum) IS NULL`.execute(
      t.db,
    );
    expect(undocumented).toEqual([]);
  });

  it('counts new papers per UTC day', async () => {
    expect(await dashboard.papersPerDay(7)).toEqual([
      { day: D2, papers: 2 },
      { day: D1, papers: 1 },
      { day: D0, papers: 1 },
    ]);
    expect((await dashboard.papersPerDay(60)).map((r) => r.papers)).toEqual([1, 2, 1, 1]); // the old paper too
  });

  it('counts new papers per day under their best topic: labels win over computed position 0', async () => {
    expect(await dashboard.papersPerTopicDay(7)).toEqual([
      { day: D2, topicId: 'llm', papers: 1 },
      { day: D2, topicId: 'vision', papers: 1 }, // B: labelled vision, computed llm
      { day: D1, topicId: null, papers: 1 }, // C: no topic at all
      { day: D0, topicId: 'agents', papers: 1 }, // D: first of its labels, not its computed vision
    ]);
  });

  it('sums papers sighted and their best upvotes per day and topic', async () => {
    expect(await dashboard.topicTrends(7)).toEqual([
      { day: D2, topicId: 'llm', papers: 1, upvotesSum: 10 }, // A on two sources, one without counts
      { day: D2, topicId: 'vision', papers: 1, upvotesSum: 4 },
      { day: D1, topicId: 'llm', papers: 1, upvotesSum: 20 },
      { day: D1, topicId: 'vision', papers: 1, upvotesSum: 12 },
      { day: D1, topicId: null, papers: 1, upvotesSum: 0 },
      { day: D0, topicId: 'agents', papers: 1, upvotesSum: 5 },
      { day: D0, topicId: 'llm', papers: 1, upvotesSum: 30 }, // max of its two listings, counted once
    ]);
  });

  it('ranks trending papers by growth and score', async () => {
    const trending = await dashboard.trendingNow(10);
    expect(trending.map(({ score: _score, ...rest }) => rest)).toEqual([
      { paperId: 1, arxivId: '2611.10001', title: 'Alpha', upvotes: 30, growth24h: 4, bestTopic: 'llm' },
      { paperId: 4, arxivId: '2611.10004', title: 'Delta', upvotes: 5, growth24h: 0, bestTopic: 'agents' },
      { paperId: 2, arxivId: '2611.10002', title: 'Beta', upvotes: 12, growth24h: 0, bestTopic: 'vision' },
      { paperId: 3, arxivId: '2611.10003', title: 'Gamma', upvotes: null, growth24h: 0, bestTopic: null },
    ]); // Epsilon, last seen 20 days ago, is not trending
    const [alpha, delta, beta, gamma] = trending.map((r) => r.score);
    expect(alpha).toBeCloseTo((Math.log(31) + Math.log(5)) * 0.5 ** (50 / 48), 3); // first seen 50 hours ago, grew by 4
    expect(delta).toBeCloseTo(Math.log(6) * 0.5 ** (2 / 48), 3);
    expect(beta).toBeCloseTo(Math.log(13) * 0.5 ** (50 / 48), 3);
    expect(gamma).toBe(0);
    expect((await dashboard.trendingNow(1)).map((r) => r.paperId)).toEqual([1]);
  });

  it('scores exactly as digests do (one definition of the score)', async () => {
    // The score is one SQL function (migration 0017) that digests, dashboards and the read API call;
    // it computes exactly what the formula it replaced (0004's copy of it) computed.
    expect(TRENDING_SCORE_SQL).toBe('trending_score(p.upvotes, g.growth, p.first_seen_at)');
    const { rows: formula } = await sql<{ id: number; byFunction: number; byFormula: number }>`
      SELECT p.id::int, (${sql.raw(TRENDING_SCORE_SQL)})::float8 AS "byFunction", (${sql.raw(TRENDING_SCORE_SQL_0004)})::float8 AS "byFormula"
      FROM papers p LEFT JOIN (${sql.raw(growth24hSql())}) g ON g.paper_id = p.id ORDER BY p.id`.execute(t.db);
    expect(formula.map((r) => [r.id, r.byFunction])).toEqual(formula.map((r) => [r.id, r.byFormula]));
    // One transaction: now() is the same for the refresh and both reads.
    const [digest, board] = await t.db.transaction().execute(async (trx) => {
      await new DashboardRepository(trx).refresh();
      return [
        await new DigestRepository(trx).rankedCandidates(),
        await new DashboardRepository(trx).trendingNow(100),
      ] as const;
    });
    expect(board.map((r) => [r.paperId, r.score])).toEqual(digest.map((r) => [r.id, r.score]));
  });

  it("lists a paper's sightings", async () => {
    expect(await dashboard.paperHistory('2611.10001')).toEqual([
      {
        paperId: 1,
        arxivId: '2611.10001',
        source: 'arxiv-list',
        listing: 'cs.LG',
        seenAt: at(48),
        rank: 5,
        upvotes: null,
        comments: null,
        stars: null,
      },
      {
        paperId: 1,
        arxivId: '2611.10001',
        source: 'hf-papers',
        listing: 'daily',
        seenAt: at(48),
        rank: 1,
        upvotes: 10,
        comments: 1,
        stars: 100,
      },
      {
        paperId: 1,
        arxivId: '2611.10001',
        source: 'hf-papers',
        listing: 'daily',
        seenAt: at(24),
        rank: 2,
        upvotes: 20,
        comments: 2,
        stars: 150,
      },
      {
        paperId: 1,
        arxivId: '2611.10001',
        source: 'hf-papers',
        listing: 'daily',
        seenAt: T,
        rank: 1,
        upvotes: 30,
        comments: 4,
        stars: 180,
      },
      {
        paperId: 1,
        arxivId: '2611.10001',
        source: 'hf-papers',
        listing: 'trending',
        seenAt: T,
        rank: 3,
        upvotes: 26,
        comments: 4,
        stars: 175,
      },
    ]);
    expect(await dashboard.paperHistory('0000.00000')).toEqual([]);
  });

  it("charts a paper's code stars per UTC day: the day's last sighting, its range and count", async () => {
    expect(await dashboard.starsPerDay('2611.10001')).toEqual([
      {
        paperId: 1,
        arxivId: '2611.10001',
        day: D2,
        stars: 100,
        minStars: 100,
        maxStars: 100,
        sightings: 1,
        lastSeenAt: at(48),
      },
      {
        paperId: 1,
        arxivId: '2611.10001',
        day: D1,
        stars: 150,
        minStars: 150,
        maxStars: 150,
        sightings: 1,
        lastSeenAt: at(24),
      },
      // Two sightings today at the same time (180 on daily, 175 on trending): ties go by source, then listing.
      {
        paperId: 1,
        arxivId: '2611.10001',
        day: D0,
        stars: 180,
        minStars: 175,
        maxStars: 180,
        sightings: 2,
        lastSeenAt: T,
      },
    ]);
    // Sightings without stars make no row; an unknown paper has none.
    expect(await dashboard.starsPerDay('2611.10002')).toEqual([]);
    expect(await dashboard.starsPerDay('0000.00000')).toEqual([]);
  });

  it('lists papers with code, most stars first, unknown stars after, with canonical links', async () => {
    const rows = await dashboard.papersWithCode(10);
    expect(rows.map((r) => [r.arxivId, r.codeStars])).toEqual([
      ['2611.10001', 180],
      ['2611.10004', 40],
      ['2611.10002', null],
    ]);
    expect(rows[0]).toEqual({
      paperId: 1,
      arxivId: '2611.10001',
      title: 'Alpha',
      codeUrl: 'https://github.com/org/alpha',
      codeStars: 180,
      projectPage: 'https://alpha.example',
      paperUrl: 'https://arxiv.org/abs/2611.10001',
      upvotes: 30,
      firstSeenAt: at(48),
      lastSeenAt: T,
      primaryCategory: 'cs.LG',
      aiSummary: null,
    });
    expect((await dashboard.papersWithCode(2)).map((r) => r.arxivId)).toEqual(['2611.10001', '2611.10004']);
    expect(await dashboard.papersWithCode(0)).toEqual([]);
  });

  it("reports each source's last crawl, last success and last day", async () => {
    const ago = (hours: number) => new Date(NOW.getTime() - hours * HOUR);
    expect(await dashboard.sourceHealth()).toEqual([
      {
        source: 'arxiv-list',
        lastCrawlAt: ago(2),
        lastOutcome: 'failed',
        lastStatus: 503,
        lastEntries: null,
        lastSuccessAt: ago(5),
        suspect: false,
        suspectReason: null,
        crawls24h: 2,
        failures24h: 1,
      },
      {
        source: 'generic-x',
        lastCrawlAt: ago(4),
        lastOutcome: 'failed',
        lastStatus: 404,
        lastEntries: null,
        lastSuccessAt: null,
        suspect: false,
        suspectReason: null,
        crawls24h: 1,
        failures24h: 1,
      },
      {
        // The suspect crawl is the last one but not a success; the running one is not the last crawl.
        source: 'hf-papers',
        lastCrawlAt: ago(1),
        lastOutcome: 'ok',
        lastStatus: 200,
        lastEntries: 0,
        lastSuccessAt: ago(3),
        suspect: true,
        suspectReason: 'no listing found',
        crawls24h: 3,
        failures24h: 0,
      },
    ]); // rss has only a running crawl
  });

  it('counts digest deliveries per day planned', async () => {
    expect(await dashboard.digestStats(7)).toEqual([
      { day: D1, planned: 3, sent: 1, skipped: 1, failed: 1 },
      { day: D0, planned: 3, sent: 1, skipped: 0, failed: 0 }, // one still planned, one claimed
    ]);
  });

  it('filters days through the new indexes', async () => {
    const plans = await t.db.transaction().execute(async (trx) => {
      await sql`SET LOCAL enable_seqscan = off`.execute(trx);
      const plan = async (query: ReturnType<typeof sql>) =>
        (await query.execute(trx)).rows.map((r: any) => r['QUERY PLAN']).join('\n');
      return {
        papers: await plan(sql`EXPLAIN SELECT * FROM dashboard.papers_per_day WHERE day > current_date - 7`),
        topics: await plan(sql`EXPLAIN SELECT * FROM dashboard.topic_trends WHERE day > current_date - 7`),
        trending: await plan(sql`EXPLAIN SELECT * FROM dashboard.trending_now`),
      };
    });
    expect(plans.papers).toContain('papers_per_topic_day_day');
    expect(plans.topics).toContain('topic_trends_day');
    expect(plans.trending).toContain('trending_order');
  });
});
