import { type Expression, sql } from 'kysely';

/**
 * now() of the current transaction, for the builder (which has no word for it): timestamps are
 * Postgres' clock, the same for every statement of a transaction, never this process's.
 */
export const now = sql<Date>`now()`;

/**
 * A timestamptz column as millisecond ISO text in UTC ("2026-01-02T03:04:05.678Z"), as the API and
 * the exports answer. Raw: `AT TIME ZONE` and `to_char`'s format have no builder form.
 */
export const isoMillis = (column: string) =>
  sql<string>`to_char(${sql.ref(column)} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * `ARRAY(subquery)`: a one-column subquery's rows as an array, in its order, `{}` when it has none.
 * Raw: the builder has no ARRAY constructor.
 */
export const arrayOf = <T>(query: Expression<{ [column: string]: T }>) => sql<T[]>`ARRAY(${query})`;

/** A paper's headline columns as digests and the read API select them (from `papers as p`). */
export const paperHeadline = ['p.id', 'p.arxiv_id as arxivId', 'p.title', 'p.abstract', 'p.authors'] as const;

/** A paper's topics as everywhere in paperboy (`p` is the paper): its manual labels when it has any (by id), else its computed topics, best first. */
export const TOPICS_SQL = `CASE WHEN EXISTS (SELECT 1 FROM paper_labels l WHERE l.paper_id = p.id)
    THEN ARRAY(SELECT l.topic_id FROM paper_labels l WHERE l.paper_id = p.id ORDER BY l.topic_id)
    ELSE ARRAY(SELECT t.topic_id FROM paper_topics t WHERE t.paper_id = p.id ORDER BY t.position) END`;

/** TOPICS_SQL as a Kysely expression (to select `.as('topics')`). */
export const paperTopicsSql = sql<string[]>`(${sql.raw(TOPICS_SQL)})`;
