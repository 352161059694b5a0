import { sql, type Kysely } from 'kysely';
import * as dashboard0004 from './2026_11_28_0004_dashboard.js';

// Frozen in time: this file never imports application code (only migration 0004, itself frozen:
// its score text, and its up/down to restore its plain views on the way down).
//
// Four dashboard views were too slow at 1,000,000 papers and 20,000,000 sightings (topic_trends
// 32 s, trending_now 7.6 s, papers_per_topic_day 1 s, papers_per_day 0.1-0.25 s for the last 30
// days). They now read
// precomputed rows kept in schema `dashboard_cache`, refreshed by `dashboard_cache.refresh()`,
// which the `refresh-dashboard` job calls on a schedule. The views keep their names and columns
// (the contract); trending_now gains one column at the end (trend_key).
//
// - Per-day aggregates (topic_trends, papers_per_topic_day) are tables refreshed day by day:
//   statement triggers record the UTC days whose rows may have changed (new or deleted sightings,
//   new papers or a changed first sighting, a change of a paper's best topic), and a refresh
//   recomputes only those days. Past days rarely change, so a refresh reads a day or two of
//   sightings, not all of them. A full rebuild recomputes every day (nightly, and on demand).
// - Trending candidates are a table each refresh brings in line with the view
//   dashboard_cache.trending_candidates, writing only the rows that changed. The score decays with
//   time, but its order does not: ln(score) = ln(base) - ln 2 * age_h / 48, so ordering by
//   trend_key = ln(base) + ln 2 * epoch(first_seen_at) / 172800 orders by score at any moment, and
//   an index on it answers "the best 25" without scoring every candidate.
//
// Readers are never blocked: a refresh replaces rows inside one transaction (MVCC). Refreshes
// are serialized by an advisory lock.

/** Copied from 0004 (migrations are frozen, so not shared): a paper's best topic, labels first. */
function bestTopic(paperId: string): string {
  return `coalesce(
      (SELECT min(l.topic_id) FROM paper_labels l WHERE l.paper_id = ${paperId}),
      (SELECT t.topic_id FROM paper_topics t WHERE t.paper_id = ${paperId} ORDER BY t.position, t.topic_id LIMIT 1))`;
}
const utcDay = (column: string) => `((${column} AT TIME ZONE 'UTC')::date)`;

/**
 * Trending candidates (papers seen in the last 8 days) with what trending_now shows of them: all
 * of them, with every paper's best topic at once (dashboard_cache.best_topics), or only the papers
 * in the bigint[] `ids`, their best topics looked up one by one.
 */
function trendingCandidates(ids: string | null): string {
  return `
    SELECT p.id AS paper_id, p.arxiv_id, p.title, p.upvotes, coalesce(g.growth, 0)::int AS growth_24h,
      p.first_seen_at, p.last_seen_at, ${ids ? bestTopic('p.id') : 'b.topic_id'} AS best_topic,
      (CASE WHEN coalesce(p.upvotes, 0) + greatest(coalesce(g.growth, 0), 0) > 0
        THEN ln(ln(1 + coalesce(p.upvotes, 0)) + ln(1 + greatest(coalesce(g.growth, 0), 0)))
             + ln(2) * extract(epoch FROM p.first_seen_at) / 172800
        ELSE '-Infinity' END)::float8 AS trend_key
    FROM papers p
    LEFT JOIN (SELECT paper_id, max(upvotes) - min(upvotes) AS growth FROM sightings
               WHERE seen_at > now() - interval '24 hours' AND upvotes IS NOT NULL ${ids ? `AND paper_id = ANY(${ids})` : ''}
               GROUP BY paper_id) g ON g.paper_id = p.id
    ${ids ? '' : 'LEFT JOIN dashboard_cache.best_topics b ON b.paper_id = p.id'}
    WHERE p.last_seen_at > now() - interval '8 days' ${ids ? `AND p.id = ANY(${ids})` : ''}`;
}

/**
 * Brings dashboard_cache.trending in line with `fresh` (candidate rows): deletes the rows `stale`
 * selects that are not in `fresh`, upserts the others, and writes only rows that changed.
 */
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

/** Advisory lock key of dashboard refreshes (one at a time across every process). */
export const REFRESH_LOCK_KEY = 7_411_582_903;

const literal = (text: string) => `'${text.replace(/'/g, "''")}'`;

async function comment(db: Kysely<any>, target: string, text: string): Promise<void> {
  await sql.raw(`COMMENT ON ${target} IS ${literal(text)}`).execute(db);
}

export async function up(db: Kysely<any>): Promise<void> {
  await sql`CREATE SCHEMA dashboard_cache`.execute(db);
  await comment(db, 'SCHEMA dashboard_cache', 'Precomputed rows behind some dashboard views, kept by dashboard_cache.refresh(). Internal: read the dashboard views, not these.');

  await sql`
    CREATE TABLE dashboard_cache.topic_trends (
      day date NOT NULL,
      topic_id text,
      papers integer NOT NULL,
      upvotes_sum bigint NOT NULL
    )`.execute(db);
  await sql`CREATE INDEX topic_trends_day ON dashboard_cache.topic_trends (day)`.execute(db);
  await sql`
    CREATE TABLE dashboard_cache.papers_per_topic_day (
      day date NOT NULL,
      topic_id text,
      papers integer NOT NULL
    )`.execute(db);
  await sql`CREATE INDEX papers_per_topic_day_day ON dashboard_cache.papers_per_topic_day (day)`.execute(db);

  // Days to recompute. kind 'seen': topic_trends (UTC day of sightings.seen_at); kind 'first':
  // papers_per_topic_day (UTC day of papers.first_seen_at). Not unique on purpose: a refresh
  // deletes the rows it read, so a row added meanwhile (by a transaction it could not see yet)
  // survives for the next refresh instead of being swallowed by a conflict.
  await sql`
    CREATE TABLE dashboard_cache.dirty_days (
      id bigserial PRIMARY KEY,
      kind text NOT NULL CHECK (kind IN ('seen', 'first')),
      day date NOT NULL,
      marked_at timestamptz NOT NULL DEFAULT now()
    )`.execute(db);

  // Papers whose trending row may have changed (new, updated, sighted in the last day, best
  // topic changed); like dirty_days, not unique on purpose.
  await sql`
    CREATE TABLE dashboard_cache.dirty_papers (
      id bigserial PRIMARY KEY,
      paper_id bigint NOT NULL
    )`.execute(db);

  // One row per refresh kind: what the last refresh did and when.
  await sql`
    CREATE TABLE dashboard_cache.refreshes (
      mode text PRIMARY KEY CHECK (mode IN ('incremental', 'full')),
      started_at timestamptz NOT NULL,
      duration_ms integer NOT NULL,
      trend_days integer NOT NULL,
      new_paper_days integer NOT NULL,
      trending_papers integer NOT NULL,
      -- now() of the refresh's transaction: the trending rows are as of this instant.
      computed_at timestamptz NOT NULL
    )`.execute(db);

  // Best topics of all papers at once (hash joins), for the reads that need most papers: the full
  // rebuild and the trending candidates. Same rule as bestTopic() (a test holds them together).
  await sql`
    CREATE VIEW dashboard_cache.best_topics AS
    SELECT p.id AS paper_id, coalesce(l.topic_id, t.topic_id) AS topic_id
    FROM papers p
    LEFT JOIN (SELECT paper_id, min(topic_id) AS topic_id FROM paper_labels GROUP BY paper_id) l ON l.paper_id = p.id
    LEFT JOIN (SELECT DISTINCT ON (paper_id) paper_id, topic_id FROM paper_topics ORDER BY paper_id, position, topic_id) t ON t.paper_id = p.id`.execute(db);

  // Trending candidates: a table that each refresh brings in line with trending_candidates,
  // writing only the rows that changed (a materialized view refreshed concurrently diffs and
  // rewrites every row: 16 s against 8.5 s for 889,000 unchanged candidates).
  await sql`
    CREATE TABLE dashboard_cache.trending (
      paper_id bigint PRIMARY KEY,
      arxiv_id text,
      title text NOT NULL,
      upvotes integer,
      growth_24h integer NOT NULL,
      first_seen_at timestamptz NOT NULL,
      last_seen_at timestamptz NOT NULL,
      best_topic text,
      trend_key float8 NOT NULL
    )`.execute(db);
  await sql.raw(`CREATE VIEW dashboard_cache.trending_candidates AS ${trendingCandidates(null)}`).execute(db);
  await sql`CREATE INDEX trending_order ON dashboard_cache.trending (trend_key DESC, paper_id)`.execute(db);

  // --- Dirty-day triggers (statement level, with transition tables: one insert per statement). ---
  // Inserted and deleted rows mark their own day (sightings their seen day, papers their first
  // day) and their paper: any new or deleted paper; a sighting only when recent enough to count in
  // growth (an hour's margin for transactions that commit late).
  for (const [table, fn, kind, column, idColumn, papersWhere] of [
    ['sightings', 'mark_sighting_days', 'seen', 'seen_at', 'paper_id', "WHERE seen_at > now() - interval '25 hours'"],
    ['papers', 'mark_paper_days', 'first', 'first_seen_at', 'id', ''],
  ] as const) {
    await sql.raw(`
      CREATE FUNCTION dashboard_cache.${fn}() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO dashboard_cache.dirty_days (kind, day) SELECT DISTINCT '${kind}', ${utcDay(column)} FROM changed;
        INSERT INTO dashboard_cache.dirty_papers (paper_id) SELECT DISTINCT ${idColumn} FROM changed ${papersWhere};
        RETURN NULL;
      END $$`).execute(db);
    for (const [event, rows, suffix] of [['INSERT', 'NEW', 'inserted'], ['DELETE', 'OLD', 'deleted']] as const) {
      await sql.raw(`CREATE TRIGGER ${table}_${suffix} AFTER ${event} ON ${table} REFERENCING ${rows} TABLE AS changed
        FOR EACH STATEMENT EXECUTE FUNCTION dashboard_cache.${fn}()`).execute(db);
    }
  }
  // Every merge updates papers (counts, last_seen_at): a changed first-seen day marks both days;
  // a change of anything trending_now shows marks the paper.
  await sql.raw(`
    CREATE FUNCTION dashboard_cache.mark_updated_papers() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO dashboard_cache.dirty_days (kind, day)
      SELECT DISTINCT 'first', d.day FROM old_rows o JOIN new_rows n ON n.id = o.id,
        LATERAL (VALUES (${utcDay('o.first_seen_at')}), (${utcDay('n.first_seen_at')})) AS d(day)
      WHERE ${utcDay('o.first_seen_at')} <> ${utcDay('n.first_seen_at')};
      INSERT INTO dashboard_cache.dirty_papers (paper_id)
      SELECT n.id FROM old_rows o JOIN new_rows n ON n.id = o.id
      WHERE (o.arxiv_id, o.title, o.upvotes, o.first_seen_at, o.last_seen_at)
        IS DISTINCT FROM (n.arxiv_id, n.title, n.upvotes, n.first_seen_at, n.last_seen_at);
      RETURN NULL;
    END $$`).execute(db);
  await sql`CREATE TRIGGER papers_updated AFTER UPDATE ON papers REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION dashboard_cache.mark_updated_papers()`.execute(db);

  // A paper whose best topic may have changed: every day it was sighted, the day it was first
  // seen, and its trending row.
  await sql.raw(`
    CREATE FUNCTION dashboard_cache.mark_topic_days(paper_ids bigint[]) RETURNS void LANGUAGE sql AS $$
      INSERT INTO dashboard_cache.dirty_days (kind, day)
      SELECT DISTINCT 'seen', ${utcDay('s.seen_at')} FROM sightings s WHERE s.paper_id = ANY(paper_ids)
      UNION
      SELECT DISTINCT 'first', ${utcDay('p.first_seen_at')} FROM papers p WHERE p.id = ANY(paper_ids);
      INSERT INTO dashboard_cache.dirty_papers (paper_id) SELECT unnest(paper_ids);
    $$`).execute(db);
  // Labels are rare and manual: any change marks the paper.
  await sql.raw(`
    CREATE FUNCTION dashboard_cache.mark_label_days() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM dashboard_cache.mark_topic_days(ARRAY(SELECT DISTINCT paper_id FROM changed));
      RETURN NULL;
    END $$`).execute(db);
  await sql`CREATE TRIGGER paper_labels_inserted AFTER INSERT ON paper_labels REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION dashboard_cache.mark_label_days()`.execute(db);
  await sql`CREATE TRIGGER paper_labels_deleted AFTER DELETE ON paper_labels REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION dashboard_cache.mark_label_days()`.execute(db);
  // Computed topics are rewritten at every classification; only a change at position 0 can
  // change the best topic: a position-0 row added or removed, or a row moved to or from 0.
  await sql.raw(`
    CREATE FUNCTION dashboard_cache.mark_computed_topic_days() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'UPDATE' THEN
        PERFORM dashboard_cache.mark_topic_days(ARRAY(
          SELECT DISTINCT n.paper_id FROM old_rows o JOIN new_rows n ON n.paper_id = o.paper_id AND n.topic_id = o.topic_id
          WHERE (o.position = 0) <> (n.position = 0)));
      ELSIF TG_OP = 'INSERT' THEN
        -- New papers' sightings and first days are marked by their own triggers.
        PERFORM dashboard_cache.mark_topic_days(ARRAY(
          SELECT DISTINCT n.paper_id FROM new_rows n JOIN papers p ON p.id = n.paper_id
          WHERE n.position = 0 AND p.created_at < now()));
      ELSE
        PERFORM dashboard_cache.mark_topic_days(ARRAY(SELECT DISTINCT paper_id FROM old_rows WHERE position = 0));
      END IF;
      RETURN NULL;
    END $$`).execute(db);
  await sql`CREATE TRIGGER paper_topics_inserted AFTER INSERT ON paper_topics REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION dashboard_cache.mark_computed_topic_days()`.execute(db);
  await sql`CREATE TRIGGER paper_topics_updated AFTER UPDATE ON paper_topics REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION dashboard_cache.mark_computed_topic_days()`.execute(db);
  await sql`CREATE TRIGGER paper_topics_deleted AFTER DELETE ON paper_topics REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION dashboard_cache.mark_computed_topic_days()`.execute(db);

  // --- The refresh. ---
  // Same definitions as the plain views of migration 0004, restricted to the days to redo. A few
  // days' rows look their papers' best topics up one by one (bestTopic, by index); every day's
  // rows join the best topics of all papers at once (dashboard_cache.best_topics, hash joins).
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
  await sql.raw(`
    CREATE FUNCTION dashboard_cache.refresh(full_rebuild boolean DEFAULT false)
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
        ${syncTrending(trendingCandidates('touched'), "t.paper_id = ANY(touched) OR t.last_seen_at <= now() - interval '8 days'")}
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
    END $$`).execute(db);

  // First fill.
  await sql`SELECT * FROM dashboard_cache.refresh(true)`.execute(db);

  // --- The views read the cache. Same names, same columns; trending_now gains trend_key. ---
  // papers_per_day read papers directly (160-240 ms for 30 days at a million papers); it now sums
  // the precomputed per-topic rows, so the two always agree.
  await sql`CREATE OR REPLACE VIEW dashboard.papers_per_day AS
    SELECT day, sum(papers)::int AS papers FROM dashboard_cache.papers_per_topic_day GROUP BY day`.execute(db);
  await sql`CREATE OR REPLACE VIEW dashboard.papers_per_topic_day AS
    SELECT day, topic_id, papers FROM dashboard_cache.papers_per_topic_day`.execute(db);
  await sql`CREATE OR REPLACE VIEW dashboard.topic_trends AS
    SELECT day, topic_id, papers, upvotes_sum FROM dashboard_cache.topic_trends`.execute(db);
  // The score text is 0004's (the digests' score), over the cached counts: `p` the cached row,
  // `g.growth` its growth as of the last refresh, the decay at query time.
  await sql.raw(`CREATE OR REPLACE VIEW dashboard.trending_now AS
    SELECT p.paper_id, p.arxiv_id, p.title, p.upvotes, p.growth_24h,
      (${dashboard0004.TRENDING_SCORE_SQL_0004})::float8 AS score,
      p.best_topic, p.trend_key
    FROM dashboard_cache.trending p CROSS JOIN LATERAL (SELECT p.growth_24h AS growth) g
    WHERE p.last_seen_at > now() - interval '8 days'
    ORDER BY p.trend_key DESC, p.paper_id`).execute(db);

  await sql`CREATE VIEW dashboard.refreshes AS
    SELECT mode, started_at, duration_ms, trend_days, new_paper_days, trending_papers FROM dashboard_cache.refreshes`.execute(db);

  const cached = 'Precomputed: as of the last refresh (dashboard.refreshes; every 5 minutes by default).';
  await comment(db, 'VIEW dashboard.papers_per_day',
    `New papers per UTC day: papers whose first sighting (papers.first_seen_at) falls on that day. Days without new papers have no row. ${cached}`);
  await comment(db, 'VIEW dashboard.papers_per_topic_day',
    `New papers per UTC day and best topic. Each paper counts once, under its best topic: its manual label (the first by topic id) when it has one, else its computed topic at position 0. ${cached} Per day, the papers column sums to dashboard.papers_per_day.papers.`);
  await comment(db, 'VIEW dashboard.topic_trends',
    `Activity per UTC day and best topic, from sightings: the distinct papers sighted that day (on any source or listing) and their upvotes. Each paper counts once per day, under its best topic (label first, else computed position 0). ${cached}`);
  await comment(db, 'VIEW dashboard.trending_now',
    `Papers seen in the last 8 days with the trending score digests rank by (TRENDING_SCORE_SQL). Upvotes, growth and best topic are as of the last refresh (dashboard.refreshes); the score's decay is computed at query time (now() of the querying transaction). Ordered by score, best first (trend_key DESC, paper_id); order by trend_key, not score, when filtering or joining: it is indexed and gives the same order.`);
  const columns: Record<string, Record<string, string>> = {
    papers_per_day: {
      day: 'UTC calendar day (date) of papers.first_seen_at.',
      papers: 'Number of papers first seen that day (integer, >= 1).',
    },
    papers_per_topic_day: {
      day: 'UTC calendar day (date) of papers.first_seen_at.',
      topic_id: 'Best topic id (taxonomy topic id, text); NULL for papers with neither a label nor a computed topic.',
      papers: 'Number of papers first seen that day whose best topic is topic_id (integer, >= 1).',
    },
    topic_trends: {
      day: 'UTC calendar day (date) of sightings.seen_at.',
      topic_id: 'Best topic id (text); NULL for papers with neither a label nor a computed topic.',
      papers: 'Distinct papers with this best topic sighted that day (integer, >= 1).',
      upvotes_sum:
        'Sum over those papers of the highest upvote count any sighting showed for the paper that day (bigint, upvotes); sightings without a count add 0.',
    },
    trending_now: {
      paper_id: 'papers.id (bigint).',
      arxiv_id: 'arXiv id without version (text); NULL for papers known only from other sources.',
      title: 'Clean title (text).',
      upvotes: 'Latest upvote count observed as of the last refresh (integer); NULL when no source has shown one.',
      growth_24h: 'Upvotes gained in the 24 hours before the last refresh: highest minus lowest count among the paper\'s sightings of those hours (integer, >= 0; 0 without such sightings).',
      score:
        'Trending score (double precision, unitless): (ln(1 + upvotes) + ln(1 + growth_24h)) * 0.5 ^ (hours since first seen / 48), hours counted to now(). Identical to the digest ranking score for the same counts.',
      best_topic: 'Best topic id (text): manual label first (by topic id), else computed topic at position 0; NULL when neither.',
      trend_key:
        'Time-independent ranking key (double precision): ln(score) + ln(2) * hours since first seen / 48, i.e. ln(ln(1 + upvotes) + ln(1 + growth_24h)) + ln(2) * epoch(first_seen_at) / 172800; -Infinity when the score is 0. Ordering by trend_key DESC is ordering by score DESC at any moment; indexed.',
    },
    refreshes: {
      mode: "Kind of refresh (text): 'incremental' (only the days that changed; every 5 minutes by default) or 'full' (every day; nightly and on demand).",
      started_at: 'When the latest refresh of this kind started, after any wait for another refresh (timestamptz). The precomputed views are as of the latest started_at of either kind.',
      duration_ms: 'How long it took, not counting any wait for another refresh (integer, milliseconds).',
      trend_days: 'UTC days of dashboard.topic_trends it recomputed (integer).',
      new_paper_days: 'UTC days of dashboard.papers_per_topic_day it recomputed (integer).',
      trending_papers: 'Candidate papers in dashboard.trending_now after it (integer).',
    },
  };
  await comment(db, 'VIEW dashboard.refreshes',
    'The latest refresh of each kind (incremental, full) of the precomputed dashboard views (papers_per_day, papers_per_topic_day, topic_trends, trending_now): when, how long, how much. One row per kind; no row before the first refresh of that kind.');
  for (const [view, cols] of Object.entries(columns)) {
    for (const [column, text] of Object.entries(cols)) await comment(db, `COLUMN dashboard.${view}.${column}`, text);
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const [table, trigger] of [
    ['sightings', 'sightings_inserted'], ['sightings', 'sightings_deleted'],
    ['papers', 'papers_inserted'], ['papers', 'papers_deleted'], ['papers', 'papers_updated'],
    ['paper_labels', 'paper_labels_inserted'], ['paper_labels', 'paper_labels_deleted'],
    ['paper_topics', 'paper_topics_inserted'], ['paper_topics', 'paper_topics_updated'], ['paper_topics', 'paper_topics_deleted'],
  ] as const) {
    await sql.raw(`DROP TRIGGER IF EXISTS ${trigger} ON ${table}`).execute(db);
  }
  await sql`DROP SCHEMA IF EXISTS dashboard_cache CASCADE`.execute(db);
  // Back to 0004's plain views: its own down and up (the cascade above dropped the views that read the cache).
  await dashboard0004.down(db);
  await dashboard0004.up(db);
}
