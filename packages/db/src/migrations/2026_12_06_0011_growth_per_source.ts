import { sql, type Kysely } from 'kysely';
import { REFRESH_LOCK_KEY } from './2026_11_28_0006_dashboard_materialized.js';

// Frozen in time: this file never imports application code (only migration 0006, itself frozen:
// its refresh lock key).
//
// The trending score's 24-hour growth was highest minus lowest count among ALL of a paper's
// sightings of the last 24 hours, whatever their source: a generic listing showing 99999 next to
// Hugging Face's 12 made a growth of 99987 and put the paper on top of trending, digests and the
// dashboard (issue 9); an honest listing counting on another scale (GitHub stars) did the same.
// Growth is now one source's: the source of the paper's headline counts (papers.counts_source,
// migration 0008); for legacy papers (counts_origin 'legacy'), the largest growth of any single
// source; none for papers no source gave headline counts (provenance refused them). The candidate
// view and the refresh function of migration 0006 are replaced with that growth, and a change of
// a paper's headline source marks its trending row for the next refresh. The sightings of one
// paper and source are found by the leading columns of sightings_observation (paper_id, source,
// listing, seen_at); those of the last 24 hours by sightings_seen_at.

/**
 * Growth as DigestRepository computes it (growth24hSql in repositories/digest.repository.ts),
 * copied; a test holds the two texts equal.
 */
export function growthPerSource(where: string): string {
  return `SELECT x.paper_id, max(x.growth) AS growth
    FROM (SELECT s.paper_id, s.source, max(s.upvotes) - min(s.upvotes) AS growth FROM sightings s
          WHERE s.seen_at > now() - interval '24 hours' AND s.upvotes IS NOT NULL AND (${where})
          GROUP BY s.paper_id, s.source) x
    JOIN papers c ON c.id = x.paper_id
    WHERE x.source = c.counts_source OR (c.counts_source IS NULL AND c.counts_origin = 'legacy')
    GROUP BY x.paper_id`;
}

/** Migration 0006's growth (every source's sightings together), for the way down. */
function growthAllSources(where: string): string {
  return `SELECT paper_id, max(upvotes) - min(upvotes) AS growth FROM sightings
               WHERE seen_at > now() - interval '24 hours' AND upvotes IS NOT NULL AND (${where})
               GROUP BY paper_id`;
}

type Growth = (where: string) => string;

/** Copied from 0006: a paper's best topic, labels first. */
function bestTopic(paperId: string): string {
  return `coalesce(
      (SELECT min(l.topic_id) FROM paper_labels l WHERE l.paper_id = ${paperId}),
      (SELECT t.topic_id FROM paper_topics t WHERE t.paper_id = ${paperId} ORDER BY t.position, t.topic_id LIMIT 1))`;
}
const utcDay = (column: string) => `((${column} AT TIME ZONE 'UTC')::date)`;

/** 0006's trending candidates with the given growth: every candidate, or those in the bigint[] `ids`. */
function trendingCandidates(growth: Growth, ids: string | null): string {
  return `
    SELECT p.id AS paper_id, p.arxiv_id, p.title, p.upvotes, coalesce(g.growth, 0)::int AS growth_24h,
      p.first_seen_at, p.last_seen_at, ${ids ? bestTopic('p.id') : 'b.topic_id'} AS best_topic,
      (CASE WHEN coalesce(p.upvotes, 0) + greatest(coalesce(g.growth, 0), 0) > 0
        THEN ln(ln(1 + coalesce(p.upvotes, 0)) + ln(1 + greatest(coalesce(g.growth, 0), 0)))
             + ln(2) * extract(epoch FROM p.first_seen_at) / 172800
        ELSE '-Infinity' END)::float8 AS trend_key
    FROM papers p
    LEFT JOIN (${growth(ids ? `paper_id = ANY(${ids})` : 'true')}) g ON g.paper_id = p.id
    ${ids ? '' : 'LEFT JOIN dashboard_cache.best_topics b ON b.paper_id = p.id'}
    WHERE p.last_seen_at > now() - interval '8 days' ${ids ? `AND p.id = ANY(${ids})` : ''}`;
}

/** Copied from 0006: brings dashboard_cache.trending in line with `fresh`, writing only rows that changed. */
function syncTrending(fresh: string, stale: string): string {
  return `
      WITH fresh AS MATERIALIZED (${fresh}),
      gone AS (
        DELETE FROM dashboard_cache.trending t WHERE (${stale}) AND NOT EXISTS (SELECT 1 FROM fresh f WHERE f.paper_id = t.paper_id)
      )
      INSERT INTO dashboard_cache.trending AS t
      SELECT * FROM fresh
      ON CONFLICT (paper_id) DO UPDATE SET arxiv_id = EXCLUDED.arxiv_id, title = EXCLUDED.title, upvotes = EXCLUDED.upvotes,
        growth_24h = EXCLUDED.growth_24h, first_seen_at = EXCLUDED.first_seen_at, last_seen_at = EXCLUDED.last_seen_at,
        best_topic = EXCLUDED.best_topic, trend_key = EXCLUDED.trend_key
      WHERE (t.arxiv_id, t.title, t.upvotes, t.growth_24h, t.first_seen_at, t.last_seen_at, t.best_topic, t.trend_key)
        IS DISTINCT FROM (EXCLUDED.arxiv_id, EXCLUDED.title, EXCLUDED.upvotes, EXCLUDED.growth_24h, EXCLUDED.first_seen_at,
                          EXCLUDED.last_seen_at, EXCLUDED.best_topic, EXCLUDED.trend_key);`;
}

/** 0006's dashboard_cache.refresh with the given growth (everything else as 0006 wrote it). */
function refreshFunction(growth: Growth): string {
  const topicTrendsInsert = (days: string | null) => `
      INSERT INTO dashboard_cache.topic_trends (day, topic_id, papers, upvotes_sum)
      SELECT x.day, x.topic_id, count(*)::int, coalesce(sum(x.upvotes), 0)::bigint
      FROM (
        SELECT d.day, ${days ? bestTopic('d.paper_id') : 'b.topic_id'} AS topic_id, d.upvotes
        FROM (SELECT ${utcDay('seen_at')} AS day, paper_id, max(upvotes) AS upvotes FROM sightings
              ${days ? `WHERE ${days}` : ''} GROUP BY 1, 2) d
        ${days ? '' : 'LEFT JOIN dashboard_cache.best_topics b ON b.paper_id = d.paper_id'}
      ) x
      GROUP BY 1, 2;`;
  const papersPerTopicDayInsert = (days: string | null) => `
      INSERT INTO dashboard_cache.papers_per_topic_day (day, topic_id, papers)
      SELECT x.day, x.topic_id, count(*)::int
      FROM (SELECT ${utcDay('p.first_seen_at')} AS day, ${days ? bestTopic('p.id') : 'b.topic_id'} AS topic_id FROM papers p
            ${days ? `WHERE ${days}` : 'LEFT JOIN dashboard_cache.best_topics b ON b.paper_id = p.id'}) x
      GROUP BY 1, 2;`;
  return `
    CREATE OR REPLACE FUNCTION dashboard_cache.refresh(full_rebuild boolean DEFAULT false)
    RETURNS TABLE (mode text, duration_ms integer, trend_days integer, new_paper_days integer, trending_papers integer, trending_recomputed integer)
    LANGUAGE plpgsql AS $$
    DECLARE
      started timestamptz;
      seen_days date[];
      first_days date[];
      touched bigint[];
      previous timestamptz;
    BEGIN
      PERFORM pg_advisory_xact_lock(${REFRESH_LOCK_KEY});
      started := clock_timestamp(); -- after any wait for another refresh
      IF full_rebuild THEN
        DELETE FROM dashboard_cache.dirty_days;
        DELETE FROM dashboard_cache.topic_trends;
        DELETE FROM dashboard_cache.papers_per_topic_day;
        ${topicTrendsInsert(null)}
        ${papersPerTopicDayInsert(null)}
        trend_days := (SELECT count(DISTINCT day) FROM dashboard_cache.topic_trends);
        new_paper_days := (SELECT count(DISTINCT day) FROM dashboard_cache.papers_per_topic_day);
      ELSE
        -- Rows marked by transactions this statement cannot see yet stay for the next refresh.
        WITH taken AS (DELETE FROM dashboard_cache.dirty_days RETURNING kind, day)
        SELECT coalesce(array_agg(DISTINCT day) FILTER (WHERE kind = 'seen'), '{}'),
               coalesce(array_agg(DISTINCT day) FILTER (WHERE kind = 'first'), '{}')
        INTO seen_days, first_days FROM taken;
        DELETE FROM dashboard_cache.topic_trends WHERE day = ANY(seen_days);
        DELETE FROM dashboard_cache.papers_per_topic_day WHERE day = ANY(first_days);
        ${topicTrendsInsert(`${utcDay('seen_at')} = ANY(seen_days)`)}
        ${papersPerTopicDayInsert(`${utcDay('p.first_seen_at')} = ANY(first_days)`)}
        trend_days := cardinality(seen_days);
        new_paper_days := cardinality(first_days);
      END IF;

      -- Trending. Incremental: the papers marked, and those with a sighting that left the 24-hour
      -- growth window since the last refresh; papers last seen over 8 days ago leave. Every
      -- candidate when rebuilding, or when the last refresh is over a day old (or there is none).
      WITH taken AS (DELETE FROM dashboard_cache.dirty_papers RETURNING paper_id)
      SELECT coalesce(array_agg(DISTINCT paper_id), '{}') INTO touched FROM taken;
      previous := (SELECT max(r.computed_at) FROM dashboard_cache.refreshes r);
      IF full_rebuild OR previous IS NULL OR previous < now() - interval '1 day' THEN
        ${syncTrending('SELECT * FROM dashboard_cache.trending_candidates', 'true')}
        trending_recomputed := NULL; -- every candidate: counted below
      ELSE
        touched := touched || ARRAY(SELECT DISTINCT s.paper_id FROM sightings s
          WHERE s.seen_at > previous - interval '24 hours' AND s.seen_at <= now() - interval '24 hours');
        ${syncTrending(trendingCandidates(growth, 'touched'), "t.paper_id = ANY(touched) OR t.last_seen_at <= now() - interval '8 days'")}
        trending_recomputed := (SELECT count(DISTINCT x) FROM unnest(touched) AS x);
      END IF;

      mode := CASE WHEN full_rebuild THEN 'full' ELSE 'incremental' END;
      trending_papers := (SELECT count(*) FROM dashboard_cache.trending);
      trending_recomputed := coalesce(trending_recomputed, trending_papers);
      duration_ms := (extract(epoch FROM clock_timestamp() - started) * 1000)::int;
      INSERT INTO dashboard_cache.refreshes AS r (mode, started_at, duration_ms, trend_days, new_paper_days, trending_papers, computed_at)
      VALUES (mode, started, duration_ms, trend_days, new_paper_days, trending_papers, now())
      ON CONFLICT ON CONSTRAINT refreshes_pkey DO UPDATE SET started_at = EXCLUDED.started_at, duration_ms = EXCLUDED.duration_ms,
        trend_days = EXCLUDED.trend_days, new_paper_days = EXCLUDED.new_paper_days, trending_papers = EXCLUDED.trending_papers,
        computed_at = EXCLUDED.computed_at;
      RETURN NEXT;
    END $$`;
}

/**
 * 0006's trigger function marking updated papers, with the columns whose change may change a
 * trending row (`extra`: the headline source, since growth is that source's).
 */
function markUpdatedPapers(extra: string): string {
  return `
    CREATE OR REPLACE FUNCTION dashboard_cache.mark_updated_papers() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO dashboard_cache.dirty_days (kind, day)
      SELECT DISTINCT 'first', d.day FROM old_rows o JOIN new_rows n ON n.id = o.id,
        LATERAL (VALUES (${utcDay('o.first_seen_at')}), (${utcDay('n.first_seen_at')})) AS d(day)
      WHERE ${utcDay('o.first_seen_at')} <> ${utcDay('n.first_seen_at')};
      INSERT INTO dashboard_cache.dirty_papers (paper_id)
      SELECT n.id FROM old_rows o JOIN new_rows n ON n.id = o.id
      WHERE (o.arxiv_id, o.title, o.upvotes, o.first_seen_at, o.last_seen_at${extra.replace(/\b(\w+)\b/g, 'o.$1')})
        IS DISTINCT FROM (n.arxiv_id, n.title, n.upvotes, n.first_seen_at, n.last_seen_at${extra.replace(/\b(\w+)\b/g, 'n.$1')});
      RETURN NULL;
    END $$`;
}

const GROWTH_COMMENT_0006 =
  "Upvotes gained in the 24 hours before the last refresh: highest minus lowest count among the paper's sightings of those hours (integer, >= 0; 0 without such sightings).";
const GROWTH_COMMENT =
  "Upvotes gained in the 24 hours before the last refresh, counted on one source: highest minus lowest count among the paper's sightings of those hours from the source of its headline counts (papers.counts_source); for papers whose counts predate provenance (counts_origin 'legacy'), the largest such difference of any single source. Two sources' counts are never compared (integer, >= 0; 0 without such sightings, and for papers no source gave headline counts).";

async function apply(db: Kysely<any>, growth: Growth, extra: string, growthComment: string): Promise<void> {
  await sql.raw(`CREATE OR REPLACE VIEW dashboard_cache.trending_candidates AS ${trendingCandidates(growth, null)}`).execute(db);
  await sql.raw(refreshFunction(growth)).execute(db);
  await sql.raw(markUpdatedPapers(extra)).execute(db);
  await sql.raw(`COMMENT ON COLUMN dashboard.trending_now.growth_24h IS '${growthComment.replace(/'/g, "''")}'`).execute(db);
  // The cached rows hold the old growth: recompute every candidate now.
  await sql`SELECT * FROM dashboard_cache.refresh(true)`.execute(db);
}

export async function up(db: Kysely<any>): Promise<void> {
  await apply(db, growthPerSource, ', counts_source', GROWTH_COMMENT);
}

export async function down(db: Kysely<any>): Promise<void> {
  await apply(db, growthAllSources, '', GROWTH_COMMENT_0006);
}
