import { sql } from 'kysely';
import type { Db } from '../connection.js';

export interface SightingPartition {
  name: string;
  /** `FOR VALUES FROM (...) TO (...)`, or `DEFAULT`. */
  bounds: string;
  rows: number;
}

/** The monthly partitions of `sightings` (migration 0015). */
export class SightingPartitionRepository {
  constructor(private readonly db: Db) {}

  /**
   * Creates the partitions of the current UTC month and the next `monthsAhead` when missing (rows
   * of those months waiting in `sightings_default` move into them). Idempotent; returns how many it created.
   */
  async ensure(monthsAhead = 3): Promise<number> {
    // Raw: a function of migration 0015 (DDL inside), no table.
    const { rows } = await sql<{
      created: number;
    }>`SELECT sightings_ensure_partitions(${monthsAhead}::int) AS created`.execute(this.db);
    return rows[0]!.created;
  }

  /** Every partition attached to sightings, with its bounds and exact row count (for operators and tests; counts every row). */
  async list(): Promise<SightingPartition[]> {
    // Raw: system catalogs (pg_inherits, pg_class), outside the Database type.
    const { rows } = await sql<{ name: string; bounds: string }>`
      SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bounds
      FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
      WHERE i.inhparent = 'sightings'::regclass ORDER BY c.relname`.execute(this.db);
    const counted: SightingPartition[] = [];
    for (const row of rows) {
      // Raw: a partition, named at run time, is not in the Database type.
      const { rows: n } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM ${sql.table(row.name)}`.execute(
        this.db,
      );
      counted.push({ ...row, rows: n[0]!.n });
    }
    return counted;
  }
}
