import { sql, type Kysely } from 'kysely';

// Frozen in time: this file never imports application code.
//
// Issue 14, digests that learn each reader:
// - what a reader tells paperboy directly, beside topics: authors they follow, keywords that qualify
//   a paper, and negative keywords that exclude one;
// - what they say about papers through the "more like this" / "less like this" links of digests
//   (`paper_feedback`, one row per reader and paper: the latest word wins; `given_at` orders them,
//   and a row undone is deleted);
// - the linear model trained on that feedback (`reader_models`, one row per reader, sparse weights
//   over hashed features of title and abstract), retrained by a job off the send path. A model whose
//   `trained_through` is older than its reader's newest feedback (or a reader with feedback and no
//   model) is stale: the sweep enqueues its training again.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    ALTER TABLE subscriber_preferences
      ADD COLUMN followed_authors text[] NOT NULL DEFAULT '{}',
      ADD COLUMN keywords text[] NOT NULL DEFAULT '{}',
      ADD COLUMN negative_keywords text[] NOT NULL DEFAULT '{}'`.execute(db);
  await sql`
    CREATE TABLE paper_feedback (
      subscriber_id bigint NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
      paper_id bigint NOT NULL REFERENCES papers(id) ON DELETE CASCADE,
      signal smallint NOT NULL CHECK (signal IN (-1, 1)),
      given_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (subscriber_id, paper_id)
    )`.execute(db);
  await sql`CREATE INDEX paper_feedback_by_time ON paper_feedback (subscriber_id, given_at)`.execute(db);
  await sql`
    CREATE TABLE reader_models (
      subscriber_id bigint PRIMARY KEY REFERENCES subscribers(id) ON DELETE CASCADE,
      kind text NOT NULL,
      bias double precision NOT NULL,
      feature_ids integer[] NOT NULL,
      weights real[] NOT NULL,
      examples integer NOT NULL,
      trained_through timestamptz,
      trained_at timestamptz NOT NULL DEFAULT now(),
      CHECK (cardinality(feature_ids) = cardinality(weights))
    )`.execute(db);
  await sql`COMMENT ON TABLE paper_feedback IS 'A reader''s latest "more like this" (1) or "less like this" (-1) per paper, from the signed links of digests (migration 0023)'`.execute(
    db,
  );
  await sql`COMMENT ON TABLE reader_models IS 'Each reader''s linear model over hashed title and abstract features, trained on paper_feedback (migration 0023)'`.execute(
    db,
  );
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TABLE IF EXISTS reader_models`.execute(db);
  await sql`DROP TABLE IF EXISTS paper_feedback`.execute(db);
  await sql`
    ALTER TABLE subscriber_preferences
      DROP COLUMN IF EXISTS followed_authors,
      DROP COLUMN IF EXISTS keywords,
      DROP COLUMN IF EXISTS negative_keywords`.execute(db);
}
