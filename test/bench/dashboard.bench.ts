/**
 * Dashboard views at scale: generates papers and sightings (1,000,000 and 20,000,000 by default;
 * BENCH_DASHBOARD_PAPERS / BENCH_DASHBOARD_SIGHTINGS to change; scale-data.ts, shared with the serve
 * benchmark) in a fresh database, then times
 * each dashboard query as a dashboard would run it, after timing the refresh of the precomputed views
 * (a full rebuild; an incremental refresh after a one-page crawl; the next one, an hour on, without a crawl).
 * Prints one JSON line with milliseconds per view and per refresh.
 * The generation takes minutes at full scale; it is kept (BENCH_DASHBOARD_KEEP=1) for re-runs.
 */
import { loadConfig } from '@paperboy/config';
import { DashboardRepository } from '@paperboy/db';
import { sql } from 'kysely';
import { freshDatabase } from './fresh-database.js';
import { generateScaleData } from './scale-data.js';

const PAPERS = Number(process.env.BENCH_DASHBOARD_PAPERS ?? 1_000_000);
const SIGHTINGS = Number(process.env.BENCH_DASHBOARD_SIGHTINGS ?? 20_000_000);

const QUERIES: Record<string, string> = {
  papersPerDay30: `SELECT * FROM dashboard.papers_per_day WHERE day > (now() AT TIME ZONE 'UTC')::date - 30`,
  papersPerTopicDay30: `SELECT * FROM dashboard.papers_per_topic_day WHERE day > (now() AT TIME ZONE 'UTC')::date - 30`,
  topicTrends30: `SELECT * FROM dashboard.topic_trends WHERE day > (now() AT TIME ZONE 'UTC')::date - 30`,
  trendingNow25: `SELECT * FROM dashboard.trending_now LIMIT 25`,
  paperHistory: `SELECT * FROM dashboard.paper_history WHERE arxiv_id = '2601.50000'`,
  sourceHealth: `SELECT * FROM dashboard.source_health`,
  digestStats30: `SELECT * FROM dashboard.digest_stats WHERE day > (now() AT TIME ZONE 'UTC')::date - 30`,
};

export async function benchDashboard(): Promise<Record<string, number>> {
  const { db } = await freshDatabase(
    process.env.BENCH_DATABASE_URL ?? loadConfig().databaseUrl,
    'paperboy_bench_dashboard',
    {
      max: 2,
      keep: process.env.BENCH_DASHBOARD_KEEP === '1',
    },
  );
  // The data set the serve benchmark shares (scale-data.ts): reused when this database already holds it.
  const { generateSeconds } = await generateScaleData(db, 'paperboy_bench_dashboard', {
    papers: PAPERS,
    sightings: SIGHTINGS,
  });

  // The precomputed views: a full rebuild (nightly), then what a scheduled refresh costs after a
  // crawl of one listing page (50 sightings today, 10 of them new papers).
  const dashboard = new DashboardRepository(db);
  const full = await dashboard.refresh({ full: true });
  const maxId = Number((await sql<{ n: number }>`SELECT max(id)::int AS n FROM papers`.execute(db)).rows[0]!.n);
  await sql
    .raw(`
    INSERT INTO papers (arxiv_id, title, title_key, upvotes, first_seen_at, last_seen_at)
    SELECT '2611.' || (90000 + i + ${maxId % 1000}), 'Fresh paper ' || i || '-' || ${maxId}, 'fresh paper ' || i || '-' || ${maxId}, i, now(), now()
    FROM generate_series(1, 10) AS i`)
    .execute(db);
  await sql
    .raw(`
    INSERT INTO sightings (paper_id, source, listing, rank, upvotes, seen_at)
    SELECT id, 'hf-daily', 'bench-crawl', row_number() OVER (ORDER BY id DESC), 10, now()
    FROM papers ORDER BY id DESC LIMIT 50
    ON CONFLICT DO NOTHING`)
    .execute(db);
  const incremental = await dashboard.refresh();
  // A later refresh with no crawl in between recomputes the papers whose sightings left the
  // 24-hour growth window since the last one. The generated sightings lie on whole hours, so a
  // refresh an hour on is measured (about 9,000 papers here; a 5-minute interval on evenly spread
  // sightings would see a twelfth of that). The clock is moved back rather than waited for.
  await sql`UPDATE dashboard_cache.refreshes SET computed_at = computed_at - interval '1 hour'`.execute(db);
  const idle = await dashboard.refresh();

  const timings: Record<string, number> = {};
  for (const [name, query] of Object.entries(QUERIES)) {
    await sql.raw(query).execute(db); // warm
    const runs: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t = performance.now();
      await sql.raw(query).execute(db);
      runs.push(performance.now() - t);
    }
    timings[`${name}Ms`] = Math.round(Math.min(...runs));
  }
  const sightings = Number((await sql<{ n: number }>`SELECT count(*)::int AS n FROM sightings`.execute(db)).rows[0]!.n);
  await db.destroy();
  return {
    papers: PAPERS,
    sightings,
    generateSeconds,
    fullRefreshMs: full.durationMs,
    trendingCandidates: full.trendingPapers,
    incrementalRefreshMs: incremental.durationMs,
    incrementalDays: incremental.trendDays + incremental.newPaperDays,
    incrementalTrendingRecomputed: incremental.trendingRecomputed,
    hourLaterRefreshMs: idle.durationMs,
    hourLaterTrendingRecomputed: idle.trendingRecomputed,
    ...timings,
  };
}
