import { sql } from 'kysely';

/**
 * now() of the current transaction, for the builder (which has no word for it): timestamps are
 * Postgres' clock, the same for every statement of a transaction, never this process's.
 */
export const now = sql<Date>`now()`;
