import { sql, type Kysely } from 'kysely';
import type { Database } from '../schema.js';

export type Frequency = 'daily' | 'weekly';

export interface DueSubscriber {
  id: number;
  email: string;
  periodKey: string;
}

export interface DigestPaper {
  id: number;
  arxivId: string | null;
  title: string;
  abstract: string | null;
  authors: string[];
  url: string | null;
  upvotes: number | null;
  topics: string[];
  score: number;
}

/**
 * The trending score digests rank papers by (the dashboards use the same one):
 *   (ln(1 + upvotes) + ln(1 + growth)) × 0.5 ^ (age in hours / 48)
 * growth = upvotes gained over the last 24 hours of sightings; age = hours since first seen.
 * Popular papers rank high, papers gaining fast rank higher, and a paper's score halves every two days.
 */
export const TRENDING_SCORE_SQL = `(ln(1 + coalesce(p.upvotes, 0)) + ln(1 + greatest(coalesce(g.growth, 0), 0)))
  * power(0.5, extract(epoch FROM now() - p.first_seen_at) / 3600 / 48)`;

/** Reads for planning and filling digests. */
export class DigestRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /**
   * Active subscribers of this frequency whose digest is due now in their own time zone (the
   * local hour has reached their send hour; weekly ones on Mondays), or all of them with `force`,
   * with the period key of their current period, a page at a time in id order (flat memory).
   */
  async *streamDueSubscribers(frequency: Frequency, options: { force: boolean; pageSize?: number }): AsyncGenerator<DueSubscriber[]> {
    const pageSize = options.pageSize ?? 1000;
    let after = 0;
    for (;;) {
      const { rows } = await sql<DueSubscriber>`
        SELECT s.id, s.email,
          CASE WHEN p.frequency = 'daily'
            THEN 'daily-' || to_char(now() AT TIME ZONE p.time_zone, 'YYYY-MM-DD')
            ELSE 'weekly-' || to_char(now() AT TIME ZONE p.time_zone, 'IYYY-"W"IW') END AS "periodKey"
        FROM subscribers s JOIN subscriber_preferences p ON p.subscriber_id = s.id
        WHERE s.id > ${after} AND s.status = 'active' AND p.frequency = ${frequency}
          AND (${options.force} OR (
            extract(hour FROM now() AT TIME ZONE p.time_zone) >= p.send_hour
            AND (p.frequency = 'daily' OR extract(isodow FROM now() AT TIME ZONE p.time_zone) = 1)))
        ORDER BY s.id LIMIT ${pageSize}`.execute(this.db);
      if (rows.length > 0) yield rows;
      if (rows.length < pageSize) return;
      after = rows[rows.length - 1]!.id;
    }
  }

  /** Plans deliveries in one statement; those already planned for their period add nothing. Returns the new ones. */
  async planDeliveries(due: readonly DueSubscriber[]): Promise<Array<{ deliveryId: number; subscriberId: number }>> {
    if (due.length === 0) return [];
    const { rows } = await sql<{ deliveryId: number; subscriberId: number }>`
      INSERT INTO deliveries (subscriber_id, period_key, status)
      SELECT u.id, u.period, 'planned' FROM unnest(${due.map((d) => d.id)}::bigint[], ${due.map((d) => d.periodKey)}::text[]) AS u(id, period)
      ORDER BY u.id
      ON CONFLICT ON CONSTRAINT deliveries_subscriber_period DO NOTHING
      RETURNING id AS "deliveryId", subscriber_id AS "subscriberId"`.execute(this.db);
    return rows;
  }

  /**
   * The papers of a subscriber's next digest: matching their topics (labels or computed topics;
   * all papers when they chose none) and minimum upvotes, seen since their last sent digest (or
   * the last period), never sent to them before, best trending score first, at most their maximum.
   */
  async digestPapers(subscriberId: number): Promise<DigestPaper[]> {
    const { rows } = await sql<DigestPaper>`
      WITH prefs AS (SELECT * FROM subscriber_preferences WHERE subscriber_id = ${subscriberId}),
      since AS (
        SELECT coalesce(
          (SELECT max(claimed_at) FROM deliveries WHERE subscriber_id = ${subscriberId} AND status = 'sent'),
          now() - CASE WHEN (SELECT frequency FROM prefs) = 'weekly' THEN interval '7 days' ELSE interval '1 day' END) AS at
      )
      SELECT p.id, p.arxiv_id AS "arxivId", p.title, p.abstract, p.authors, p.url, p.upvotes,
        ARRAY(SELECT t.topic_id FROM paper_topics t WHERE t.paper_id = p.id ORDER BY t.position) AS topics,
        (${sql.raw(TRENDING_SCORE_SQL)})::float8 AS score
      FROM papers p
      CROSS JOIN prefs
      LEFT JOIN LATERAL (
        SELECT max(s.upvotes) - min(s.upvotes) AS growth FROM sightings s
        WHERE s.paper_id = p.id AND s.seen_at > now() - interval '24 hours'
      ) g ON true
      WHERE p.last_seen_at > (SELECT at FROM since)
        AND coalesce(p.upvotes, 0) >= prefs.min_upvotes
        AND (cardinality(prefs.topics) = 0
             OR EXISTS (SELECT 1 FROM paper_labels l WHERE l.paper_id = p.id AND l.topic_id = ANY(prefs.topics))
             OR (NOT EXISTS (SELECT 1 FROM paper_labels l WHERE l.paper_id = p.id)
                 AND EXISTS (SELECT 1 FROM paper_topics t WHERE t.paper_id = p.id AND t.topic_id = ANY(prefs.topics))))
        AND NOT EXISTS (SELECT 1 FROM delivered_papers d WHERE d.subscriber_id = ${subscriberId} AND d.paper_id = p.id)
      ORDER BY score DESC, p.id
      LIMIT (SELECT max_papers FROM prefs)`.execute(this.db);
    return rows;
  }

  /** Records which papers a delivery sent, so no later digest repeats them. */
  async recordDeliveredPapers(subscriberId: number, deliveryId: number, paperIds: readonly number[]): Promise<void> {
    if (paperIds.length === 0) return;
    await sql`
      INSERT INTO delivered_papers (subscriber_id, paper_id, delivery_id)
      SELECT ${subscriberId}, u.id, ${deliveryId} FROM unnest(${[...paperIds]}::bigint[]) AS u(id)
      ON CONFLICT DO NOTHING`.execute(this.db);
  }
}
