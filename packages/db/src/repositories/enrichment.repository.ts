import { type Kysely, sql, type Transaction } from 'kysely';
import type { Database } from '../schema.js';
import { now } from './expressions.js';

type Executor = Kysely<Database> | Transaction<Database>;

/** A kind of enrichment: `arxiv` (the arXiv API), `hf` (the Hugging Face paper API). */
export type EnrichKind = 'arxiv' | 'hf';

/** A paper an enrichment is for: its id and its arXiv id (without version), the key both APIs know. */
export interface EnrichTarget {
  paperId: number;
  arxivId: string;
}

/**
 * Which papers are due for enrichment (migration 0022). A paper is marked due in the transaction
 * that stores it, so a batch's commit and its enrichment work cannot part: the `enrich-due` sweep
 * claims due rows into `enrich-papers` jobs, and claims a row again when its job was enqueued more
 * than the grace period ago and the row is still due (Redis lost it, or it failed for good).
 */
export class EnrichmentRepository {
  constructor(private readonly db: Executor) {}

  /** Marks papers due for the given kinds; a paper already known for a kind is left as it is. */
  async markDue(rows: ReadonlyArray<{ paperId: number; kind: EnrichKind }>): Promise<void> {
    if (rows.length === 0) return;
    const sorted = [...rows].sort((a, b) => a.paperId - b.paperId || (a.kind < b.kind ? -1 : 1));
    await this.db
      .insertInto('paper_enrichments')
      .values(sorted.map((r) => ({ paper_id: r.paperId, kind: r.kind, due_at: now })))
      .onConflict((oc) => oc.columns(['paper_id', 'kind']).doNothing())
      .execute();
  }

  /**
   * The refresh rule: papers seen in a listing in the last `trendingDays` (still trending) whose
   * enrichment of `kind` ended more than `olderThanDays` ago are due again. Returns how many.
   */
  async markRefreshDue(kind: EnrichKind, olderThanDays: number, trendingDays = 2): Promise<number> {
    const result = await this.db
      .updateTable('paper_enrichments as e')
      .set({ due_at: now, enqueued_at: null })
      .where('e.kind', '=', kind)
      .where('e.due_at', 'is', null)
      // Raw: interval arithmetic ("older than").
      .where('e.enriched_at', '<', sql<Date>`now() - make_interval(days => ${olderThanDays})`)
      .where((eb) =>
        eb.exists(
          eb
            .selectFrom('papers as p')
            .select(sql`1`.as('one'))
            .whereRef('p.id', '=', 'e.paper_id')
            // Raw: interval arithmetic ("seen lately").
            .where('p.last_seen_at', '>', sql<Date>`now() - make_interval(days => ${trendingDays})`),
        ),
      )
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  /**
   * Claims up to `limit` due papers of `kind` (oldest due first) that no job holds: never enqueued, or
   * enqueued more than `graceMs` ago and still due. Stamps them enqueued now and returns them with
   * their arXiv ids. Rows locked by a concurrent sweep are skipped.
   */
  async claimDue(kind: EnrichKind, limit: number, graceMs: number): Promise<EnrichTarget[]> {
    // Raw: UPDATE … FROM a FOR UPDATE SKIP LOCKED subquery, read back with the arXiv id.
    const { rows } = await sql<EnrichTarget>`
      WITH due AS (
        SELECT e.paper_id FROM paper_enrichments e
        WHERE e.kind = ${kind} AND e.due_at IS NOT NULL
          AND (e.enqueued_at IS NULL OR e.enqueued_at < now() - make_interval(secs => ${graceMs / 1000}))
        ORDER BY e.due_at, e.paper_id
        LIMIT ${limit}
        FOR UPDATE SKIP LOCKED
      )
      UPDATE paper_enrichments e SET enqueued_at = now()
      FROM due, papers p
      WHERE e.kind = ${kind} AND e.paper_id = due.paper_id AND p.id = e.paper_id
      RETURNING e.paper_id AS "paperId", p.arxiv_id AS "arxivId"`.execute(this.db);
    return rows.filter((r) => r.arxivId !== null).sort((a, b) => a.paperId - b.paperId);
  }

  /** Of these papers, those still due for `kind`, with their arXiv ids (a re-run job does only what is left). */
  async stillDue(kind: EnrichKind, paperIds: readonly number[]): Promise<EnrichTarget[]> {
    if (paperIds.length === 0) return [];
    const rows = await this.db
      .selectFrom('paper_enrichments as e')
      .innerJoin('papers as p', 'p.id', 'e.paper_id')
      .select(['e.paper_id as paperId', 'p.arxiv_id as arxivId'])
      .where('e.kind', '=', kind)
      .where('e.paper_id', 'in', [...paperIds])
      .where('e.due_at', 'is not', null)
      .where('p.arxiv_id', 'is not', null)
      .orderBy('e.paper_id')
      .execute();
    return rows as EnrichTarget[];
  }

  /** Ends the enrichment of these papers for `kind`: no longer due, done now, with its outcome and error. */
  async finish(kind: EnrichKind, paperIds: readonly number[], outcome: string, error: string | null): Promise<void> {
    if (paperIds.length === 0) return;
    await this.db
      .updateTable('paper_enrichments')
      .set({ due_at: null, enriched_at: now, outcome, error })
      .where('kind', '=', kind)
      .where('paper_id', 'in', [...paperIds])
      .execute();
  }

  /** Rows of one paper (tests and `paperboy` inspection). */
  async ofPaper(paperId: number) {
    return this.db
      .selectFrom('paper_enrichments')
      .selectAll()
      .where('paper_id', '=', paperId)
      .orderBy('kind')
      .execute();
  }

  /** How many papers are due, per kind. */
  async dueCounts(): Promise<Record<EnrichKind, number>> {
    const rows = await this.db
      .selectFrom('paper_enrichments')
      .select(['kind', (eb) => eb.fn.countAll<number>().as('n')])
      .where('due_at', 'is not', null)
      .groupBy('kind')
      .execute();
    const counts: Record<EnrichKind, number> = { arxiv: 0, hf: 0 };
    for (const r of rows) counts[r.kind] = Number(r.n);
    return counts;
  }
}
