import { sql, type Kysely } from 'kysely';

// Frozen in time: this file never imports application code.
//
// Issue 13, enrichment as events: when a paper is first stored (or is due for a refresh) the
// processor marks it due here, in the batch's own transaction, per kind of enrichment (`arxiv`: the
// arXiv API; `hf`: the Hugging Face paper API). The `enrich-due` job sweeps due rows into `enrich`
// jobs and stamps `enqueued_at`; a row enqueued long ago and still due (Redis lost the job) is swept
// again. An enrichment that ends clears `due_at` and sets `enriched_at`, its outcome and error.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE paper_enrichments (
      paper_id bigint NOT NULL REFERENCES papers(id) ON DELETE CASCADE,
      kind text NOT NULL CHECK (kind IN ('arxiv', 'hf')),
      due_at timestamptz,
      enqueued_at timestamptz,
      enriched_at timestamptz,
      outcome text,
      error text,
      PRIMARY KEY (paper_id, kind)
    )`.execute(db);
  await sql`CREATE INDEX paper_enrichments_due ON paper_enrichments (kind, due_at) WHERE due_at IS NOT NULL`.execute(db);
  await sql`COMMENT ON TABLE paper_enrichments IS 'Enrichment of each paper per kind (arxiv, hf): due, enqueued, last done (migration 0022)'`.execute(
    db,
  );
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TABLE IF EXISTS paper_enrichments`.execute(db);
}
