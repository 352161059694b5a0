import { type Kysely, sql } from 'kysely';
import type { Database } from '../schema.js';

// The zones Postgres knows, read once per process: the list only changes with the server's tzdata,
// and reading pg_timezone_names scans the zone files (tens of milliseconds).
let known: Promise<ReadonlySet<string>> | null = null;

/**
 * Time zones a subscriber may choose: those Postgres knows (the digest planner computes local hours
 * with `AT TIME ZONE`, which fails on a name `Intl` accepts but Postgres does not, such as
 * `US/Pacific-New`) and that `Intl` knows too. Both look names up case-insensitively.
 */
export class TimeZoneRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /** Lower-cased names of pg_timezone_names, cached per process (a failed read is not cached). */
  async knownTimeZones(): Promise<ReadonlySet<string>> {
    // Raw: a system catalog view, outside the Database type.
    known ??= sql<{ name: string }>`SELECT name FROM pg_timezone_names`
      .execute(this.db)
      .then(({ rows }) => new Set(rows.map((r) => r.name.toLowerCase())));
    try {
      return await known;
    } catch (error) {
      known = null;
      throw error;
    }
  }

  async isKnown(zone: string): Promise<boolean> {
    if (!intlAccepts(zone)) return false;
    return (await this.knownTimeZones()).has(zone.toLowerCase());
  }
}

function intlAccepts(zone: string): boolean {
  if (zone.length === 0 || zone.length > 64) return false;
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
