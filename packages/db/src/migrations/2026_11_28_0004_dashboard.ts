import { sql, type Kysely } from 'kysely';

// Frozen in time: this file never imports application code.
//
// Schema `dashboard`: read-only views over the pipeline's tables, the data contract for
// dashboards and the read API. Every view and every column is commented (COMMENT ON) and
// described in ./README.md. Contract: columns are only ever added; renaming or removing one
// means a new view name. Days are UTC calendar days.

/**
 * The trending score, copied (not imported: migrations are frozen) from TRENDING_SCORE_SQL in
 * repositories/digest.repository.ts. It MUST stay identical to that expression: digests and
 * dashboards rank papers by one score. Two tests hold it there: one compares this text with
 * TRENDING_SCORE_SQL, one compares dashboard.trending_now's scores with the digest's for the
 * same data. Changing the score means a new migration that replaces dashboard.trending_now.
 * Expects `p` (papers) and `g` (growth over the last 24 hours, column `growth`).
 */
export const TRENDING_SCORE_SQL_0004 = `(ln(1 + coalesce(p.upvotes, 0)) + ln(1 + greatest(coalesce(g.growth, 0), 0)))
  * power(0.5, extract(epoch FROM now() - p.first_seen_at) / 3600 / 48)`;

/** Upvotes gained per paper over the last 24 hours of sightings, as digests compute it (DigestRepository.rankedCandidates). */
const GROWTH_24H_SQL = `SELECT paper_id, max(upvotes) - min(upvotes) AS growth FROM sightings
    WHERE seen_at > now() - interval '24 hours' AND upvotes IS NOT NULL GROUP BY paper_id`;

/**
 * A paper's best topic: its manual label when it has one (the first by topic id when it has
 * several, as digests order them), else its computed topic of lowest position (position 0);
 * NULL when it has neither.
 */
function bestTopic(paperId: string): string {
  return `coalesce(
      (SELECT min(l.topic_id) FROM paper_labels l WHERE l.paper_id = ${paperId}),
      (SELECT t.topic_id FROM paper_topics t WHERE t.paper_id = ${paperId} ORDER BY t.position, t.topic_id LIMIT 1))`;
}

/** UTC calendar day of a timestamptz (immutable, so it can be indexed). */
const utcDay = (column: string) => `((${column} AT TIME ZONE 'UTC')::date)`;

interface ViewDefinition {
  name: string;
  comment: string;
  query: string;
  /** Every column of the view, in order, with its comment. */
  columns: Record<string, string>;
}

const views: ViewDefinition[] = [
  {
    name: 'papers_per_day',
    comment: 'New papers per UTC day: papers whose first sighting (papers.first_seen_at) falls on that day. Days without new papers have no row.',
    query: `SELECT ${utcDay('first_seen_at')} AS day, count(*)::int AS papers
      FROM papers GROUP BY 1`,
    columns: {
      day: 'UTC calendar day (date) of papers.first_seen_at.',
      papers: 'Number of papers first seen that day (integer, >= 1).',
    },
  },
  {
    name: 'papers_per_topic_day',
    comment:
      'New papers per UTC day and best topic. Each paper counts once, under its best topic: its manual label (the first by topic id) when it has one, else its computed topic at position 0. Per day, the papers column sums to dashboard.papers_per_day.papers.',
    query: `SELECT x.day, x.topic_id, count(*)::int AS papers
      FROM (SELECT ${utcDay('p.first_seen_at')} AS day, ${bestTopic('p.id')} AS topic_id FROM papers p) x
      GROUP BY 1, 2`,
    columns: {
      day: 'UTC calendar day (date) of papers.first_seen_at.',
      topic_id: 'Best topic id (taxonomy topic id, text); NULL for papers with neither a label nor a computed topic.',
      papers: 'Number of papers first seen that day whose best topic is topic_id (integer, >= 1).',
    },
  },
  {
    name: 'topic_trends',
    comment:
      'Activity per UTC day and best topic, from sightings: the distinct papers sighted that day (on any source or listing) and their upvotes. Each paper counts once per day, under its current best topic (label first, else computed position 0).',
    query: `SELECT x.day, x.topic_id, count(*)::int AS papers, coalesce(sum(x.upvotes), 0)::bigint AS upvotes_sum
      FROM (
        SELECT d.day, ${bestTopic('d.paper_id')} AS topic_id, d.upvotes
        FROM (SELECT ${utcDay('seen_at')} AS day, paper_id, max(upvotes) AS upvotes FROM sightings GROUP BY 1, 2) d
      ) x
      GROUP BY 1, 2`,
    columns: {
      day: 'UTC calendar day (date) of sightings.seen_at.',
      topic_id: 'Best topic id (text); NULL for papers with neither a label nor a computed topic.',
      papers: 'Distinct papers with this best topic sighted that day (integer, >= 1).',
      upvotes_sum:
        'Sum over those papers of the highest upvote count any sighting showed for the paper that day (bigint, upvotes); sightings without a count add 0.',
    },
  },
  {
    name: 'trending_now',
    comment:
      'Papers seen in the last 8 days with the trending score digests rank by (TRENDING_SCORE_SQL), computed at query time (now() of the querying transaction). Ordered by score, best first; order again (score DESC, paper_id) when filtering or joining.',
    query: `SELECT p.id AS paper_id, p.arxiv_id, p.title, p.upvotes, coalesce(g.growth, 0)::int AS growth_24h,
        (${TRENDING_SCORE_SQL_0004})::float8 AS score,
        ${bestTopic('p.id')} AS best_topic
      FROM papers p LEFT JOIN (${GROWTH_24H_SQL}) g ON g.paper_id = p.id
      WHERE p.last_seen_at > now() - interval '8 days'
      ORDER BY score DESC, p.id`,
    columns: {
      paper_id: 'papers.id (bigint).',
      arxiv_id: 'arXiv id without version (text); NULL for papers known only from other sources.',
      title: 'Clean title (text).',
      upvotes: 'Latest upvote count observed (integer); NULL when no source has shown one.',
      growth_24h: 'Upvotes gained in the last 24 hours: highest minus lowest count among the paper\'s sightings of the last 24 hours (integer, >= 0; 0 without such sightings).',
      score:
        'Trending score (double precision, unitless): (ln(1 + upvotes) + ln(1 + growth_24h)) * 0.5 ^ (hours since first seen / 48). Identical to the digest ranking score.',
      best_topic: 'Best topic id (text): manual label first (by topic id), else computed topic at position 0; NULL when neither.',
    },
  },
  {
    name: 'paper_history',
    comment: 'Every sighting of every paper: one row per (paper, source, listing, observation time), for rank and upvote charts.',
    query: `SELECT s.paper_id, p.arxiv_id, s.source, s.listing, s.seen_at, s.rank, s.upvotes, s.comments
      FROM sightings s JOIN papers p ON p.id = s.paper_id`,
    columns: {
      paper_id: 'papers.id (bigint).',
      arxiv_id: 'arXiv id without version (text); NULL for papers known only from other sources.',
      source: 'Source id of sources.yaml that showed the paper (text).',
      listing: 'The listing (page) it was shown on (text).',
      seen_at: 'When the listing was fetched (timestamptz, an instant; render in any time zone).',
      rank: 'Position on the listing, 1 = top (integer).',
      upvotes: 'Upvotes the listing showed (integer); NULL when the source has no counts.',
      comments: 'Comments the listing showed (integer); NULL when the source has no counts.',
    },
  },
  {
    name: 'source_health',
    comment:
      'Per source that has a finished crawl: its latest finished crawl, its latest success, and the last 24 hours. Same rules as `paperboy sources` (CrawlRepository.sourceHealth).',
    query: `SELECT l.source, l.started_at AS last_crawl_at, l.outcome AS last_outcome, l.status AS last_status, l.entries AS last_entries,
        (SELECT max(c.started_at) FROM crawls c
          WHERE c.source = l.source AND c.outcome IN ('ok', 'quiet', 'not-modified', 'unchanged') AND NOT c.suspect) AS last_success_at,
        l.suspect, l.suspect_reason,
        (SELECT count(*)::int FROM crawls c WHERE c.source = l.source AND c.started_at > now() - interval '1 day') AS crawls_24h,
        (SELECT count(*)::int FROM crawls c WHERE c.source = l.source AND c.started_at > now() - interval '1 day' AND c.outcome = 'failed') AS failures_24h
      FROM (SELECT DISTINCT ON (source) * FROM crawls WHERE outcome <> 'running' ORDER BY source, started_at DESC) l`,
    columns: {
      source: 'Source id (text).',
      last_crawl_at: 'Start of the latest finished (not running) crawl (timestamptz).',
      last_outcome: 'Its outcome (text): ok, quiet, not-modified, unchanged, retrying, failed or disallowed.',
      last_status: 'Its HTTP status (integer); NULL when no response was had.',
      last_entries: 'Entries it found (integer); NULL when not read.',
      last_success_at:
        'Start of the latest crawl that succeeded (outcome ok, quiet, not-modified or unchanged) and was not suspect (timestamptz); NULL if none.',
      suspect: 'Whether the latest finished crawl is suspect (boolean): no listing found, a fallback used, or far fewer entries than usual.',
      suspect_reason: 'Why it is suspect (text); NULL when not.',
      crawls_24h: 'Crawls of this source started in the last 24 hours, running ones included (integer).',
      failures_24h: 'Of those, crawls with outcome failed (integer).',
    },
  },
  {
    name: 'digest_stats',
    comment: 'Digest deliveries per UTC day they were planned, by status. A delivery still planned or claimed (in progress) counts in planned only.',
    query: `SELECT ${utcDay('planned_at')} AS day, count(*)::int AS planned,
        (count(*) FILTER (WHERE status = 'sent'))::int AS sent,
        (count(*) FILTER (WHERE status = 'skipped'))::int AS skipped,
        (count(*) FILTER (WHERE status = 'failed'))::int AS failed
      FROM deliveries GROUP BY 1`,
    columns: {
      day: 'UTC calendar day (date) of deliveries.planned_at.',
      planned: 'Deliveries planned that day, whatever their status now (integer).',
      sent: 'Of those, sent (integer).',
      skipped: 'Of those, skipped (nothing to send) (integer).',
      failed: 'Of those, failed for good (integer).',
    },
  },
];

const literal = (text: string) => `'${text.replace(/'/g, "''")}'`;

export async function up(db: Kysely<any>): Promise<void> {
  await sql`CREATE SCHEMA dashboard`.execute(db);
  await sql`COMMENT ON SCHEMA dashboard IS 'Read-only views for dashboards and the read API; columns are only added, never renamed or removed (see packages/db/src/migrations/README.md).'`.execute(db);

  // Indexes the views need and the earlier migrations lack:
  // - dashboard.papers_per_day and papers_per_topic_day group and filter papers by UTC day of
  //   first_seen_at; a filter on their `day` column is pushed down to this expression.
  await sql.raw(`CREATE INDEX papers_first_seen_day_utc ON papers (${utcDay('first_seen_at')})`).execute(db);
  // - dashboard.topic_trends groups and filters sightings by UTC day of seen_at (same push-down).
  await sql.raw(`CREATE INDEX sightings_seen_day_utc ON sightings (${utcDay('seen_at')})`).execute(db);
  // - dashboard.trending_now's growth reads the last 24 hours of sightings (so do digests); until
  //   now only (paper_id, …) led an index, so that read scanned every sighting.
  await sql`CREATE INDEX sightings_seen_at ON sightings (seen_at)`.execute(db);
  // - dashboard.trending_now reads papers seen in the last 8 days.
  await sql`CREATE INDEX papers_last_seen_at ON papers (last_seen_at)`.execute(db);
  // Not indexed: paper_history (sightings by paper_id: the sightings_observation unique constraint;
  // papers.arxiv_id is unique), source_health (crawls_source_started_at), best topics (primary keys
  // of paper_labels and paper_topics lead with paper_id), digest_stats (deliveries: one row per
  // subscriber and period, small; a full read is what the daily totals need).

  for (const view of views) {
    await sql.raw(`CREATE VIEW dashboard.${view.name} AS ${view.query}`).execute(db);
    await sql.raw(`COMMENT ON VIEW dashboard.${view.name} IS ${literal(view.comment)}`).execute(db);
    for (const [column, comment] of Object.entries(view.columns)) {
      await sql.raw(`COMMENT ON COLUMN dashboard.${view.name}.${column} IS ${literal(comment)}`).execute(db);
    }
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP SCHEMA IF EXISTS dashboard CASCADE`.execute(db);
  for (const index of ['papers_last_seen_at', 'sightings_seen_at', 'sightings_seen_day_utc', 'papers_first_seen_day_utc']) {
    await sql.raw(`DROP INDEX IF EXISTS ${index}`).execute(db);
  }
}
