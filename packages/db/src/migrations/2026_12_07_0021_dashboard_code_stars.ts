import { sql, type Kysely } from 'kysely';

// Frozen in time: this file never imports application code.
//
// Issue 13, "use it": the dashboard contract shows what migration 0020 keeps.
// - `dashboard.papers_with_code`: one row per paper with a code repository, with its stars and links.
// - `dashboard.stars_per_day`: a paper's code stars per UTC day, from the sightings' stars (the time series).
// - `dashboard.paper_history` gets `stars` (columns are only ever added, at the end).
// Plain views, computed at every read: papers with code read the partial index papers_code_stars
// (migration 0020) in its order; stars per day read one paper's sightings (sightings_observation,
// led by paper_id), for the arXiv id through papers' unique index.

const literal = (text: string) => `'${text.replace(/'/g, "''")}'`;

interface View {
  name: string;
  comment: string;
  query: string;
  columns: Record<string, string>;
}

const views: View[] = [
  {
    name: 'papers_with_code',
    comment:
      'Papers with a code repository: one row per paper, with its stars and links. ORDER BY code_stars DESC, paper_id reads the index papers_code_stars in that order (papers whose stars are unknown come first there: add WHERE code_stars IS NOT NULL for a ranking).',
    query: `SELECT p.id AS paper_id, p.arxiv_id, p.title, p.code_url, p.code_stars, p.project_page,
        CASE WHEN p.arxiv_id IS NOT NULL THEN 'https://arxiv.org/abs/' || p.arxiv_id ELSE p.url END AS paper_url,
        p.upvotes, p.first_seen_at, p.last_seen_at, p.primary_category, p.ai_summary
      FROM papers p WHERE p.code_url IS NOT NULL`,
    columns: {
      paper_id: 'papers.id (bigint).',
      arxiv_id: 'arXiv id without version (text); NULL for papers known only from other sources.',
      title: 'Title (text).',
      code_url: 'Code repository URL (text), as the source gave it (Hugging Face githubRepo).',
      code_stars: "The code repository's stars, latest seen (integer); NULL when no source gave them.",
      project_page: 'Project page URL (text), or NULL.',
      paper_url:
        "The paper's canonical page (text): https://arxiv.org/abs/<arxiv_id>, else (no arXiv id) its stored link; never a listing page when it has an arXiv id.",
      upvotes: 'Latest upvotes (integer); NULL when no source has counts.',
      first_seen_at: 'When the paper was first seen (timestamptz).',
      last_seen_at: 'When the paper was last seen (timestamptz).',
      primary_category: 'arXiv primary category (text), e.g. cs.CL; NULL when unknown.',
      ai_summary: "The source's short summary (text; Hugging Face ai_summary), or NULL.",
    },
  },
  {
    name: 'stars_per_day',
    comment:
      "A paper's code stars over time: one row per (paper, UTC day) with a sighting that showed stars, for star charts (like paper_history for upvotes). Filter by paper_id or arxiv_id.",
    query: `SELECT s.paper_id, p.arxiv_id, (s.seen_at AT TIME ZONE 'UTC')::date AS day,
        (array_agg(s.stars ORDER BY s.seen_at DESC, s.source, s.listing))[1] AS stars,
        min(s.stars) AS min_stars, max(s.stars) AS max_stars, count(*)::int AS sightings,
        max(s.seen_at) AS last_seen_at
      FROM sightings s JOIN papers p ON p.id = s.paper_id
      WHERE s.stars IS NOT NULL
      GROUP BY s.paper_id, p.arxiv_id, (s.seen_at AT TIME ZONE 'UTC')::date`,
    columns: {
      paper_id: 'papers.id (bigint).',
      arxiv_id: 'arXiv id without version (text); NULL for papers known only from other sources.',
      day: 'UTC day of the sightings (date).',
      stars: "Stars shown by the day's last sighting that showed any (integer); sightings at the same time: the first by source, then listing.",
      min_stars: 'Fewest stars shown that day (integer).',
      max_stars: 'Most stars shown that day (integer).',
      sightings: 'Sightings that day that showed stars (integer).',
      last_seen_at: "The day's last sighting that showed stars (timestamptz).",
    },
  },
];

export async function up(db: Kysely<any>): Promise<void> {
  for (const view of views) {
    await sql.raw(`CREATE VIEW dashboard.${view.name} AS ${view.query}`).execute(db);
    await sql.raw(`COMMENT ON VIEW dashboard.${view.name} IS ${literal(view.comment)}`).execute(db);
    for (const [column, comment] of Object.entries(view.columns)) {
      await sql.raw(`COMMENT ON COLUMN dashboard.${view.name}.${column} IS ${literal(comment)}`).execute(db);
    }
  }
  // paper_history: the same rows, `stars` added at the end.
  await sql`
    CREATE OR REPLACE VIEW dashboard.paper_history AS
      SELECT s.paper_id, p.arxiv_id, s.source, s.listing, s.seen_at, s.rank, s.upvotes, s.comments, s.stars
      FROM sightings s JOIN papers p ON p.id = s.paper_id`.execute(db);
  await sql`COMMENT ON COLUMN dashboard.paper_history.stars IS 'Code repository stars the listing showed (integer); NULL when the source gives none.'`.execute(
    db,
  );
}

export async function down(db: Kysely<any>): Promise<void> {
  // A view cannot drop a column: recreated as migration 0004 made it (its comments again).
  await sql`DROP VIEW IF EXISTS dashboard.paper_history`.execute(db);
  await sql`
    CREATE VIEW dashboard.paper_history AS
      SELECT s.paper_id, p.arxiv_id, s.source, s.listing, s.seen_at, s.rank, s.upvotes, s.comments
      FROM sightings s JOIN papers p ON p.id = s.paper_id`.execute(db);
  await sql`COMMENT ON VIEW dashboard.paper_history IS 'Every sighting of every paper: one row per (paper, source, listing, observation time), for rank and upvote charts.'`.execute(
    db,
  );
  const columns: Record<string, string> = {
    paper_id: 'papers.id (bigint).',
    arxiv_id: 'arXiv id without version (text); NULL for papers known only from other sources.',
    source: 'Source id of sources.yaml that showed the paper (text).',
    listing: 'The listing (page) it was shown on (text).',
    seen_at: 'When the listing was fetched (timestamptz, an instant; render in any time zone).',
    rank: 'Position on the listing, 1 = top (integer).',
    upvotes: 'Upvotes the listing showed (integer); NULL when the source has no counts.',
    comments: 'Comments the listing showed (integer); NULL when the source has no counts.',
  };
  for (const [column, comment] of Object.entries(columns)) {
    await sql.raw(`COMMENT ON COLUMN dashboard.paper_history.${column} IS ${literal(comment)}`).execute(db);
  }
  for (const view of [...views].reverse()) await sql.raw(`DROP VIEW IF EXISTS dashboard.${view.name}`).execute(db);
}
