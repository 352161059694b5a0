import { sql, type Kysely } from 'kysely';

// Frozen in time: this file never imports application code.
//
// Issue 13, part 1: keep what the sources give. Hugging Face gives code, stars, a project page, a
// short summary, keywords, an organization, a submitter, a thumbnail and media; arXiv gives the
// primary category, versions, comments, a journal reference, a DOI and a license.
// - `papers` gets the current value of each, where readers need them fast (one row, no join), with
//   `details_source`/`details_seen_at`/`details_origin`: the source and observation whose values are
//   current (ranked like the headline counts of migration 0008: a canonical adapter, else a
//   listing's values, and those only for papers without an arXiv id).
// - `paper_facts` keeps every value with the source and the time it came from: one row per paper,
//   source and field, rewritten only when the value changes (a newer observation with another value).
// - `paper_versions`: each arXiv version seen, with the first time and source; `papers.latest_version`.
// - `sightings.stars`: stars are a time series, like upvotes and comments.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    ALTER TABLE papers
      ADD COLUMN code_url text,
      ADD COLUMN code_stars integer,
      ADD COLUMN project_page text,
      ADD COLUMN ai_summary text,
      ADD COLUMN ai_keywords text[] NOT NULL DEFAULT '{}',
      ADD COLUMN organization text,
      ADD COLUMN submitted_by text,
      ADD COLUMN thumbnail text,
      ADD COLUMN media_urls text[] NOT NULL DEFAULT '{}',
      ADD COLUMN primary_category text,
      ADD COLUMN arxiv_comments text,
      ADD COLUMN journal_ref text,
      ADD COLUMN doi text,
      ADD COLUMN license text,
      ADD COLUMN latest_version integer,
      ADD COLUMN details_source text,
      ADD COLUMN details_seen_at timestamptz,
      ADD COLUMN details_origin text CHECK (details_origin IN ('canonical', 'listing'))`.execute(db);
  await sql`
    CREATE TABLE paper_facts (
      paper_id bigint NOT NULL REFERENCES papers(id) ON DELETE CASCADE,
      source text NOT NULL,
      field text NOT NULL,
      value jsonb NOT NULL,
      -- The observation that gave this value (the first one, while the value stays the same).
      seen_at timestamptz NOT NULL,
      PRIMARY KEY (paper_id, source, field)
    )`.execute(db);
  await sql`
    CREATE TABLE paper_versions (
      paper_id bigint NOT NULL REFERENCES papers(id) ON DELETE CASCADE,
      version integer NOT NULL CHECK (version >= 1),
      first_seen_at timestamptz NOT NULL,
      source text NOT NULL,
      PRIMARY KEY (paper_id, version)
    )`.execute(db);
  await sql`ALTER TABLE sightings ADD COLUMN stars integer`.execute(db);
  // "Papers with code" and stars charts read these.
  await sql`CREATE INDEX papers_code_stars ON papers (code_stars DESC, id) WHERE code_url IS NOT NULL`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE sightings DROP COLUMN IF EXISTS stars`.execute(db);
  await sql`DROP TABLE IF EXISTS paper_versions`.execute(db);
  await sql`DROP TABLE IF EXISTS paper_facts`.execute(db);
  await sql`
    ALTER TABLE papers
      DROP COLUMN IF EXISTS code_url, DROP COLUMN IF EXISTS code_stars, DROP COLUMN IF EXISTS project_page,
      DROP COLUMN IF EXISTS ai_summary, DROP COLUMN IF EXISTS ai_keywords, DROP COLUMN IF EXISTS organization,
      DROP COLUMN IF EXISTS submitted_by, DROP COLUMN IF EXISTS thumbnail, DROP COLUMN IF EXISTS media_urls,
      DROP COLUMN IF EXISTS primary_category, DROP COLUMN IF EXISTS arxiv_comments, DROP COLUMN IF EXISTS journal_ref,
      DROP COLUMN IF EXISTS doi, DROP COLUMN IF EXISTS license, DROP COLUMN IF EXISTS latest_version,
      DROP COLUMN IF EXISTS details_source, DROP COLUMN IF EXISTS details_seen_at, DROP COLUMN IF EXISTS details_origin`.execute(db);
}
