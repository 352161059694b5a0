import { type Kysely, sql } from 'kysely';
import type { Database } from '../schema.js';

/**
 * The distinct `source` values of a table whose primary key or an index leads with `source`,
 * sorted. A recursive skip scan: one index probe per distinct value, where `SELECT DISTINCT` would
 * read every row (millions of sightings' aliases for a handful of sources).
 */
export async function distinctSources(
  db: Kysely<Database>,
  table: 'page_fetches' | 'paper_aliases' | 'crawls',
): Promise<string[]> {
  const t = sql.table(table);
  // Raw: a recursive CTE with scalar subqueries (the skip scan), which the builder cannot express.
  const { rows } = await sql<{ source: string }>`
    WITH RECURSIVE s AS (
      (SELECT source FROM ${t} ORDER BY source LIMIT 1)
      UNION ALL
      SELECT (SELECT x.source FROM ${t} x WHERE x.source > s.source ORDER BY x.source LIMIT 1) FROM s WHERE s.source IS NOT NULL
    )
    SELECT source FROM s WHERE source IS NOT NULL`.execute(db);
  return rows.map((r) => r.source);
}
