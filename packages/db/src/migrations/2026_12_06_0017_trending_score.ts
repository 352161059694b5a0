import { sql, type Kysely } from 'kysely';
import { REFRESH_LOCK_KEY } from './2026_11_28_0006_dashboard_materialized.js';
import { growthPerSource } from './2026_12_06_0011_growth_per_source.js';

// Frozen in time: this file never imports application code (only migrations 0006 and 0011, themselves
// frozen: the refresh lock key and the per-source growth).
//
// The trending score was written out in four places: the digests' ranking (TRENDING_SCORE_SQL), its
// copy in dashboard.trending_now (0004, 0006), the ranking key of the dashboard cache (0006, 0011),
// and the read API's score recovered from that key. It is now defined once, as SQL functions every
// reader calls:
//   trending_base(upvotes, growth)                  ln(1 + upvotes) + ln(1 + growth)
//   trending_score(upvotes, growth, first_seen_at)  trending_base × 0.5 ^ (hours since first seen / 48)
//   trending_key(upvotes, growth, first_seen_at)    ln(trending_base) + ln 2 × epoch(first_seen_at) / 172800
//                                                   (-Infinity when the base is 0): orders as the score
//                                                   does at any moment, independent of time
//   trending_score_from_key(trend_key)              the score back from the key, as of now()
// The expressions are the ones they replace, term for term, so every score and key is unchanged.
// dashboard.trending_now, dashboard_cache.trending_candidates and dashboard_cache.refresh() are
// replaced to call them (same columns, same results).

const FUNCTIONS = `
  CREATE FUNCTION trending_base(upvotes integer, growth integer) RETURNS float8
  LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT (ln(1 + coalesce(upvotes, 0)) + ln(1 + greatest(coalesce(growth, 0), 0)))::float8
  $$;
  CREATE FUNCTION trending_score(upvotes integer, growth integer, first_seen_at timestamptz) RETURNS float8
  LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT (trending_base(upvotes, growth) * power(0.5, extract(epoch FROM now() - first_seen_at) / 3600 / 48))::float8
  $$;
  CREATE FUNCTION trending_key(upvotes integer, growth integer, first_seen_at timestamptz) RETURNS float8
  LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT (CASE WHEN coalesce(upvotes, 0) + greatest(coalesce(growth, 0), 0) > 0
      THEN ln(trending_base(upvotes, growth)) + ln(2) * extract(epoch FROM first_seen_at) / 172800
      ELSE '-Infinity' END)::float8
  $$;
  CREATE FUNCTION trending_score_from_key(trend_key float8) RETURNS float8
  LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT exp(trend_key - ln(2) * extract(epoch FROM now()) / 172800)::float8
  $$;
  COMMENT ON FUNCTION trending_base(integer, integer) IS
    'The counts part of the trending score: ln(1 + upvotes) + ln(1 + growth), NULLs as 0, negative growth as 0.';
  COMMENT ON FUNCTION trending_score(integer, integer, timestamptz) IS
    'The trending score digests, dashboards and the read API rank by: trending_base(upvotes, growth) * 0.5 ^ (hours since first_seen_at / 48), hours counted to now(); growth is the upvotes gained in the last 24 hours on one source.';
  COMMENT ON FUNCTION trending_key(integer, integer, timestamptz) IS
    'Time-independent ranking key of the trending score: ln(trending_base) + ln(2) * epoch(first_seen_at) / 172800; -Infinity when the base is 0. Ordering by it is ordering by trending_score at any moment.';
  COMMENT ON FUNCTION trending_score_from_key(float8) IS
    'The trending score as of now() of a paper whose trending_key is trend_key.';`;

/** How a candidate's trend_key is computed: by the function (up), or 0006's inline text (down). */
type TrendKey = (upvotes: string, growth: string, firstSeenAt: string) => string;
const keyByFunction: TrendKey = (upvotes, growth, firstSeenAt) => `trending_key(${upvotes}, ${growth}, ${firstSeenAt})`;
const keyInline0011: TrendKey = (upvotes, growth, firstSeenAt) => `(CASE WHEN coalesce(${upvotes}, 0) + greatest(coalesce(${growth}, 0), 0) > 0
        THEN ln(ln(1 + coalesce(${upvotes}, 0)) + ln(1 + greatest(coalesce(${growth}, 0), 0)))
             + ln(2) * extract(epoch FROM ${firstSeenAt}) / 172800
        ELSE '-Infinity' END)::float8`;

/** The score of trending_now's row `p` (cached counts, growth `g.growth`): by the function, or 0004's text. */
const SCORE_BY_FUNCTION = 'trending_score(p.upvotes, g.growth, p.first_seen_at)';
const SCORE_INLINE_0004 = `(ln(1 + coalesce(p.upvotes, 0)) + ln(1 + greatest(coalesce(g.growth, 0), 0)))
  * power(0.5, extract(epoch FROM now() - p.first_seen_at) / 3600 / 48)`;

/** Copied from 0011: a paper's best topic, labels first. */
function bestTopic(paperId: string): string {
  return `coalesce(
      (SELECT min(l.topic_id) FROM paper_labels l WHERE l.paper_id = ${paperId}),
      (SELECT t.topic_id FROM paper_topics t WHERE t.paper_id = ${paperId} ORDER BY t.position, t.topic_id LIMIT 1))`;
}
const utcDay = (column: string) => `((${column} AT TIME ZONE 'UTC')::date)`;

/** 0011's trending candidates, the key computed by `key`: every candidate, or those in the bigint[] `ids`. */
function trendingCandidates(key: TrendKey, ids: string | null): string {
  return `
    SELECT p.id AS paper_id, p.arxiv_id, p.title, p.upvotes, coalesce(g.growth, 0)::int AS growth_24h,
      p.first_seen_at, p.last_seen_at, ${ids ? bestTopic('p.id') : 'b.topic_id'} AS best_topic,
      ${key('p.upvotes', 'g.growth', 'p.first_seen_at')} AS trend_key
    FROM papers p
    LEFT JOIN (${growthPerSource(ids ? `paper_id = ANY(${ids})` : 'true')}) g ON g.paper_id = p.id
    ${ids ? '' : 'LEFT JOIN dashboard_cache.best_topics b ON b.paper_id = p.id'}
    WHERE p.last_seen_at > now() - interval '8 days' ${ids ? `AND p.id = ANY(${ids})` : ''}`;
}

/** Copied from 0011: brings dashboard_cache.trending in line with `fresh`, writing only rows that changed. */
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

/** 0011's dashboard_cache.refresh, the key computed by `key` (everything else as 0011 wrote it). */
function refreshFunction(key: TrendKey): string {
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
        ${syncTrending(trendingCandidates(key, 'touched'), "t.paper_id = ANY(touched) OR t.last_seen_at <= now() - interval '8 days'")}
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

/** 0006's dashboard.trending_now with the given score text (columns, order and comments unchanged). */
function trendingNow(score: string): string {
  return `CREATE OR REPLACE VIEW dashboard.trending_now AS
    SELECT p.paper_id, p.arxiv_id, p.title, p.upvotes, p.growth_24h,
      (${score})::float8 AS score,
      p.best_topic, p.trend_key
    FROM dashboard_cache.trending p CROSS JOIN LATERAL (SELECT p.growth_24h AS growth) g
    WHERE p.last_seen_at > now() - interval '8 days'
    ORDER BY p.trend_key DESC, p.paper_id`;
}

/** 0006's comment on dashboard.trending_now, naming where the score is defined. */
const viewComment = (definition: string) =>
  `Papers seen in the last 8 days with the trending score digests rank by (${definition}). Upvotes, growth and best topic are as of the last refresh (dashboard.refreshes); the score's decay is computed at query time (now() of the querying transaction). Ordered by score, best first (trend_key DESC, paper_id); order by trend_key, not score, when filtering or joining: it is indexed and gives the same order.`;

async function apply(db: Kysely<any>, key: TrendKey, score: string, definition: string): Promise<void> {
  await sql.raw(`CREATE OR REPLACE VIEW dashboard_cache.trending_candidates AS ${trendingCandidates(key, null)}`).execute(db);
  await sql.raw(refreshFunction(key)).execute(db);
  await sql.raw(trendingNow(score)).execute(db);
  await sql.raw(`COMMENT ON VIEW dashboard.trending_now IS '${viewComment(definition).replace(/'/g, "''")}'`).execute(db);
}

export async function up(db: Kysely<any>): Promise<void> {
  await sql.raw(FUNCTIONS).execute(db);
  // Same keys as before (same expression): the cached rows stay as they are.
  await apply(db, keyByFunction, SCORE_BY_FUNCTION, 'the SQL function trending_score');
}

export async function down(db: Kysely<any>): Promise<void> {
  await apply(db, keyInline0011, SCORE_INLINE_0004, 'TRENDING_SCORE_SQL');
  await sql`DROP FUNCTION trending_score_from_key(float8), trending_key(integer, integer, timestamptz),
    trending_score(integer, integer, timestamptz), trending_base(integer, integer)`.execute(db);
}
