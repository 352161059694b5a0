import { sql, type Kysely } from 'kysely';

/**
 * The digest planner re-offers to the queue every delivery still `planned` a while after planning
 * (its send job may never have reached Redis: a failed addBulk, a lost Redis). Planned rows are few
 * among every delivery ever made: a partial index keeps that look-up independent of the table's size.
 * Frozen: written against Kysely<any>, no application imports.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`CREATE INDEX deliveries_planned_at ON deliveries (planned_at) WHERE status = 'planned'`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP INDEX deliveries_planned_at`.execute(db);
}
