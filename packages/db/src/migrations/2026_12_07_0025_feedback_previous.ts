import { sql, type Kysely } from 'kysely';

// Frozen in time: this file never imports application code.
//
// Issue 14, an undo that gives back the reader's earlier word: a word that replaced another on the
// same paper ("less like this" after last week's "more like this") keeps the one it replaced, with
// its time, so that Undo (or the mail scanner check) puts it back instead of leaving no word at all.
// One level: the word before the previous one is not kept.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    ALTER TABLE paper_feedback
      ADD COLUMN previous_signal smallint CHECK (previous_signal IN (-1, 1)),
      ADD COLUMN previous_given_at timestamptz,
      ADD CONSTRAINT paper_feedback_previous_whole CHECK ((previous_signal IS NULL) = (previous_given_at IS NULL))`.execute(
    db,
  );
  await sql`COMMENT ON COLUMN paper_feedback.previous_signal IS 'The word this one replaced on the paper (with previous_given_at), put back by an undo (migration 0025)'`.execute(
    db,
  );
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    ALTER TABLE paper_feedback
      DROP CONSTRAINT IF EXISTS paper_feedback_previous_whole,
      DROP COLUMN IF EXISTS previous_signal,
      DROP COLUMN IF EXISTS previous_given_at`.execute(db);
}
