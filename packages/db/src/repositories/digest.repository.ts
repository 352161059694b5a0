import { type Kysely, sql } from 'kysely';
import type { Database } from '../schema.js';
import { arrayOf, paperHeadline, TOPICS_SQL } from './expressions.js';
import type { StoredReaderModel } from './reader.repository.js';

export type Frequency = 'daily' | 'weekly';

export interface DueSubscriber {
  id: number;
  email: string;
  periodKey: string;
}

/** What a subscriber's digest needs besides the candidates (`DigestRepository.digestContext`). */
export interface DigestContext {
  topics: string[];
  minUpvotes: number;
  maxPapers: number;
  since: Date;
  /** Papers already sent to them (of those still recent enough to be candidates). */
  sent: Set<number>;
  /** Authors whose papers always qualify, keywords that qualify a paper, keywords that exclude one (migration 0023). */
  followedAuthors: string[];
  keywords: string[];
  negativeKeywords: string[];
  /** Their `reader_models` row as stored (`deserializeReaderModel` reads it), null without one. */
  model: RankingReaderModel | null;
  /**
   * The papers they said "more like this" to, newest first (at most 50), for the "like “X” you
   * liked" line; only read for a reader with a model (without one, no pick names a liked paper).
   */
  likedPaperIds: number[];
}

/** A `reader_models` row as `deserializeReaderModel` (packages/pipeline) takes it: what ranking needs. */
export type RankingReaderModel = Pick<StoredReaderModel, 'kind' | 'bias' | 'featureIds' | 'weights' | 'examples'>;

/** A candidate paper for digests: its trending score and what the reader's ranking reads of it. */
export interface DigestCandidate {
  id: number;
  score: number;
  topics: string[];
  upvotes: number;
  lastSeenAt: Date;
  title: string;
  abstract: string | null;
  authors: string[];
}

/** Liked papers named in a "like “X” you liked" line: at most this many per reader, the newest. */
export const LIKED_PAPERS_READ = 50;

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
  /** Why the reader's ranking picked it, one short line ("trending in llm", "by an author you follow (Ada Lovelace)"); '' when unknown. */
  why: string;
  /** What the sources give beyond the listing (migration 0020): the source's short summary, code, its stars, project page. */
  aiSummary: string | null;
  codeUrl: string | null;
  codeStars: number | null;
  projectPage: string | null;
}

/**
 * The trending score digests rank papers by (the dashboards and the read API use the same one), the
 * SQL function trending_score of migration 0017:
 *   (ln(1 + upvotes) + ln(1 + growth)) × 0.5 ^ (age in hours / 48)
 * growth = upvotes gained over the last 24 hours on one source (growth24hSql);
 * age = hours since first seen.
 * Popular papers rank high, papers gaining fast rank higher, and a paper's score halves every two days.
 * `p` is the paper, `g.growth` its growth.
 */
export const TRENDING_SCORE_SQL = 'trending_score(p.upvotes, g.growth, p.first_seen_at)';

/**
 * Whether a source's sightings count in a paper's growth. Sources count on different scales (a
 * listing may show GitHub stars, or anything: it is written by a stranger), so two sources' counts
 * are never subtracted from each other, and only the source giving the paper's headline counts
 * (papers.counts_source) counts; for legacy papers (counts stored before provenance, counts_origin
 * 'legacy'), every source, each on its own. A paper no source gave headline counts (an arXiv paper
 * seen with counts only on listings, which provenance refuses) has no growth: a refused count must
 * not rank it.
 */
const countedSource = (paper: string, source: string) =>
  `${source} = ${paper}.counts_source OR (${paper}.counts_source IS NULL AND ${paper}.counts_origin = 'legacy')`;
/** One source's growth: highest minus lowest count among its sightings (`s`) of the last 24 hours. */
const SOURCE_GROWTH = 'max(s.upvotes) - min(s.upvotes)';
const LAST_24H = "s.seen_at > now() - interval '24 hours' AND s.upvotes IS NOT NULL";

/**
 * Upvotes each paper gained over the last 24 hours on the source that counts (countedSource): rows
 * (paper_id, growth); a paper without counted sightings in that window has no row. `where` narrows
 * the sightings (`s`). The dashboard cache's refresh carries a copy (migration 0011, frozen):
 * change both, a test holds them together.
 */
export function growth24hSql(where = 'true'): string {
  return `SELECT x.paper_id, max(x.growth) AS growth
    FROM (SELECT s.paper_id, s.source, ${SOURCE_GROWTH} AS growth FROM sightings s
          WHERE ${LAST_24H} AND (${where})
          GROUP BY s.paper_id, s.source) x
    JOIN papers c ON c.id = x.paper_id
    WHERE ${countedSource('c', 'x.source')}
    GROUP BY x.paper_id`;
}

/**
 * The same growth for one paper (`paper`, a papers alias of the outer query), for a lateral join:
 * one row, its growth (NULL without counted sightings); no grouping of papers, so no sort.
 */
export function paperGrowth24hSql(paper: string): string {
  return `SELECT max(x.growth) AS growth
    FROM (SELECT ${SOURCE_GROWTH} AS growth FROM sightings s
          WHERE s.paper_id = ${paper}.id AND ${LAST_24H} AND (${countedSource(paper, 's.source')})
          GROUP BY s.source) x`;
}

/** Reads for planning and filling digests. */
export class DigestRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /**
   * Active subscribers of this frequency whose digest is due now in their own time zone (the
   * local hour has reached their send hour; weekly ones on Mondays), or all of them with `force`,
   * with the period key of their current period, a page at a time in id order (flat memory).
   * A subscriber whose time zone Postgres does not know is left out (`unknownTimeZones` lists
   * them): `AT TIME ZONE` on such a name would fail the query for everyone. The local time is
   * computed with the joined zone's own name, so no condition on the raw value can be evaluated first.
   */
  async *streamDueSubscribers(
    frequency: Frequency,
    options: { force: boolean; pageSize?: number },
  ): AsyncGenerator<DueSubscriber[]> {
    const pageSize = options.pageSize ?? 1000;
    let after = 0;
    for (;;) {
      // Raw: a MATERIALIZED CTE over a system view and AT TIME ZONE arithmetic on the joined zone.
      const { rows } = await sql<DueSubscriber>`
        WITH zones AS MATERIALIZED (SELECT name, lower(name) AS key FROM pg_timezone_names)
        SELECT s.id, s.email,
          CASE WHEN p.frequency = 'daily'
            THEN 'daily-' || to_char(now() AT TIME ZONE z.name, 'YYYY-MM-DD')
            ELSE 'weekly-' || to_char(now() AT TIME ZONE z.name, 'IYYY-"W"IW') END AS "periodKey"
        FROM subscribers s JOIN subscriber_preferences p ON p.subscriber_id = s.id
          JOIN zones z ON z.key = lower(p.time_zone)
        WHERE s.id > ${after} AND s.status = 'active' AND p.frequency = ${frequency}
          AND (${options.force} OR (
            extract(hour FROM now() AT TIME ZONE z.name) >= p.send_hour
            AND (p.frequency = 'daily' OR extract(isodow FROM now() AT TIME ZONE z.name) = 1)))
        ORDER BY s.id LIMIT ${pageSize}`.execute(this.db);
      if (rows.length > 0) yield rows;
      if (rows.length < pageSize) return;
      after = rows[rows.length - 1]!.id;
    }
  }

  /** Active subscribers of this frequency whose time zone Postgres does not know: the planner skips and reports them. */
  async unknownTimeZones(
    frequency: Frequency,
    limit = 10_000,
  ): Promise<Array<{ subscriberId: number; timeZone: string }>> {
    // Raw: reads pg_timezone_names, a system view outside the Database type.
    const { rows } = await sql<{ subscriberId: number; timeZone: string }>`
      SELECT s.id AS "subscriberId", p.time_zone AS "timeZone"
      FROM subscribers s JOIN subscriber_preferences p ON p.subscriber_id = s.id
      WHERE s.status = 'active' AND p.frequency = ${frequency}
        AND lower(p.time_zone) NOT IN (SELECT lower(name) FROM pg_timezone_names)
      ORDER BY s.id LIMIT ${limit}`.execute(this.db);
    return rows;
  }

  /** Plans deliveries in one statement; those already planned for their period add nothing. Returns the new ones. */
  async planDeliveries(due: readonly DueSubscriber[]): Promise<Array<{ deliveryId: number; subscriberId: number }>> {
    if (due.length === 0) return [];
    // Raw: a batch write from unnest()ed arrays, one statement for a page of subscribers.
    const { rows } = await sql<{ deliveryId: number; subscriberId: number }>`
      INSERT INTO deliveries (subscriber_id, period_key, status)
      SELECT u.id, u.period, 'planned' FROM unnest(${due.map((d) => d.id)}::bigint[], ${due.map((d) => d.periodKey)}::text[]) AS u(id, period)
      ORDER BY u.id
      ON CONFLICT ON CONSTRAINT deliveries_subscriber_period DO NOTHING
      RETURNING id AS "deliveryId", subscriber_id AS "subscriberId"`.execute(this.db);
    return rows;
  }

  /** The period keys of these deliveries, sorted (the order their locks are taken in). */
  async periodKeysOf(deliveryIds: readonly number[]): Promise<string[]> {
    if (deliveryIds.length === 0) return [];
    const rows = await this.db
      .selectFrom('deliveries')
      .select('period_key')
      .distinct()
      .where('id', '=', sql<number>`ANY(${[...deliveryIds]}::bigint[])`) // raw ANY: one array parameter
      .orderBy('period_key')
      .execute();
    return rows.map((r) => r.period_key);
  }

  /**
   * Serializes the transactions that finish deliveries of these periods (sorted: no deadlock), so
   * the last one to finish sees every other one committed when it asks whether its period is done.
   */
  async lockPeriods(periodKeys: readonly string[]): Promise<void> {
    if (periodKeys.length === 0) return;
    // Raw: advisory locks over an unnest()ed, sorted array.
    await sql`
      SELECT pg_advisory_xact_lock(hashtextextended('paperboy:digest-period:' || k, 7411))
      FROM (SELECT k FROM unnest(${[...periodKeys]}::text[]) AS k ORDER BY k) AS ordered`.execute(this.db);
  }

  /**
   * The period's deliveries by outcome once the period is done, else null. Done: none of its
   * deliveries is planned or claimed, and no active subscriber of its frequency (in a time zone
   * Postgres knows) is still to be planned for it: a subscriber whose local period is before it
   * (a time zone behind), or in it and still due (daily, or weekly on its Monday) without a
   * delivery yet. Period keys are `daily-YYYY-MM-DD` and `weekly-IYYY-Www`, which sort in time order.
   */
  async finishedPeriod(
    periodKey: string,
  ): Promise<{ deliveries: number; sent: number; skipped: number; failed: number } | null> {
    const frequency: Frequency = periodKey.startsWith('weekly-') ? 'weekly' : 'daily';
    const open = await this.db
      .selectFrom('deliveries')
      .select('id')
      .where('status', 'in', ['planned', 'claimed'])
      .where('period_key', '=', periodKey)
      .limit(1)
      .executeTakeFirst();
    if (open) return null;
    // Raw: the planner's local period key (AT TIME ZONE on the joined zone) over a system view.
    const { rows: waiting } = await sql<{ id: number }>`
      WITH zones AS MATERIALIZED (SELECT name, lower(name) AS key FROM pg_timezone_names)
      SELECT s.id FROM subscribers s JOIN subscriber_preferences p ON p.subscriber_id = s.id
        JOIN zones z ON z.key = lower(p.time_zone)
        CROSS JOIN LATERAL (SELECT CASE WHEN p.frequency = 'daily'
            THEN 'daily-' || to_char(now() AT TIME ZONE z.name, 'YYYY-MM-DD')
            ELSE 'weekly-' || to_char(now() AT TIME ZONE z.name, 'IYYY-"W"IW') END AS key) AS local
      WHERE s.status = 'active' AND p.frequency = ${frequency}
        AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.subscriber_id = s.id AND d.period_key = ${periodKey})
        AND (local.key < ${periodKey}
             OR (local.key = ${periodKey} AND (p.frequency = 'daily' OR extract(isodow FROM now() AT TIME ZONE z.name) = 1)))
      LIMIT 1`.execute(this.db);
    if (waiting.length > 0) return null;
    const counts = await this.db
      .selectFrom('deliveries')
      .select((eb) => [
        eb.fn.countAll<number>().as('deliveries'),
        eb.fn.countAll<number>().filterWhere('status', '=', 'sent').as('sent'),
        eb.fn.countAll<number>().filterWhere('status', '=', 'skipped').as('skipped'),
        eb.fn.countAll<number>().filterWhere('status', '=', 'failed').as('failed'),
      ])
      .where('period_key', '=', periodKey)
      .executeTakeFirstOrThrow();
    return counts.deliveries > 0 ? counts : null;
  }

  /**
   * Periods with deliveries planned in the last `days` days and no digest.period_sent yet: the
   * planner's sweep asks whether they are done (a period whose last delivery was finished by an
   * unsubscribe, or by a writer that died before announcing it).
   */
  async unannouncedPeriods(days = 8): Promise<string[]> {
    // Raw: interval arithmetic and the dedupe key built from the period key.
    const { rows } = await sql<{ periodKey: string }>`
      SELECT DISTINCT d.period_key AS "periodKey" FROM deliveries d
      WHERE d.status IN ('sent', 'skipped', 'failed') AND d.planned_at > now() - make_interval(days => ${days})
        AND NOT EXISTS (SELECT 1 FROM events e WHERE e.dedupe_key =
          'digest.period_sent:' || CASE WHEN d.period_key LIKE 'weekly-%' THEN 'weekly' ELSE 'daily' END || ':' || d.period_key)
      ORDER BY 1`.execute(this.db);
    return rows.map((r) => r.periodKey);
  }

  /**
   * Deliveries still planned `olderThanMinutes` after planning (and within the last week): their send
   * job may never have reached the queue. Re-adding a job under its deterministic id is a no-op while
   * it exists, and the claim keeps a send at most once either way.
   */
  async plannedUnsent(
    olderThanMinutes: number,
    limit = 10_000,
  ): Promise<Array<{ deliveryId: number; subscriberId: number }>> {
    return this.db
      .selectFrom('deliveries')
      .select(['id as deliveryId', 'subscriber_id as subscriberId'])
      .where('status', '=', 'planned')
      .where('planned_at', '<', sql<Date>`now() - make_interval(mins => ${olderThanMinutes})`) // raw: interval arithmetic
      .where('planned_at', '>', sql<Date>`now() - interval '7 days'`) // raw: interval arithmetic
      .orderBy('planned_at')
      .limit(limit)
      .execute();
  }

  /**
   * Every paper a digest could hold (seen in the last 8 days), scored once, best first: the
   * notifier ranks these in memory for each subscriber instead of scoring every paper per mail.
   * Topics are the paper's manual labels when it has any, else its computed topics. Title, abstract
   * and authors are what a reader's own ranking reads (followed authors, keywords, their model).
   */
  async rankedCandidates(): Promise<DigestCandidate[]> {
    // Raw: the growth subquery is SQL text shared with the read API (and held equal to the dashboard refresh's copy).
    const { rows } = await sql<DigestCandidate>`
      WITH growth AS (${sql.raw(growth24hSql())})
      SELECT p.id, (${sql.raw(TRENDING_SCORE_SQL)})::float8 AS score,
        (${sql.raw(TOPICS_SQL)}) AS topics,
        coalesce(p.upvotes, 0) AS upvotes, p.last_seen_at AS "lastSeenAt", p.title, p.abstract, p.authors
      FROM papers p LEFT JOIN growth g ON g.paper_id = p.id
      WHERE p.last_seen_at > now() - interval '8 days'
      ORDER BY score DESC, p.id`.execute(this.db);
    return rows;
  }

  /** What a subscriber's digest needs besides the candidates: preferences, since when, what was already sent. */
  async digestContext(subscriberId: number): Promise<DigestContext | null> {
    return (await this.digestContexts([subscriberId])).get(subscriberId) ?? null;
  }

  /**
   * What the digests of many subscribers need, in one statement (a send chunk's): preferences, since when,
   * what was already sent, their stored model and the papers they liked. Subscribers without
   * preferences are absent from the map.
   */
  async digestContexts(subscriberIds: readonly number[]): Promise<Map<number, DigestContext>> {
    if (subscriberIds.length === 0) return new Map();
    const rows = await this.db
      .selectFrom('subscriber_preferences as p')
      .leftJoin('reader_models as m', 'm.subscriber_id', 'p.subscriber_id')
      .select((eb) => [
        'p.subscriber_id as subscriberId',
        'p.topics',
        'p.min_upvotes as minUpvotes',
        'p.max_papers as maxPapers',
        'p.followed_authors as followedAuthors',
        'p.keywords',
        'p.negative_keywords as negativeKeywords',
        'm.kind as modelKind',
        'm.bias as modelBias',
        'm.feature_ids as modelFeatureIds',
        'm.weights as modelWeights',
        'm.examples as modelExamples',
        // Raw: CASE around an ARRAY(subquery); liked papers matter only with a model.
        sql<number[]>`CASE WHEN m.subscriber_id IS NULL THEN '{}'::bigint[] ELSE ${arrayOf(
          eb
            .selectFrom('paper_feedback as f')
            .select('f.paper_id')
            .whereRef('f.subscriber_id', '=', 'p.subscriber_id')
            .where('f.signal', '=', 1)
            .orderBy('f.given_at', 'desc')
            .orderBy('f.paper_id', 'desc')
            .limit(LIKED_PAPERS_READ),
        )} END`.as('likedPaperIds'),
        eb.fn
          .coalesce(
            eb
              .selectFrom('deliveries as dl')
              .select((d) => d.fn.max('dl.claimed_at').as('last'))
              .whereRef('dl.subscriber_id', '=', 'p.subscriber_id')
              .where('dl.status', '=', 'sent')
              .$asScalar(),
            // Raw: interval arithmetic.
            sql`now() - CASE WHEN p.frequency = 'weekly' THEN interval '7 days' ELSE interval '1 day' END`,
          )
          .$castTo<Date>()
          .as('since'),
        arrayOf(
          eb
            .selectFrom('delivered_papers as d')
            .innerJoin('papers as pp', 'pp.id', 'd.paper_id')
            .select('d.paper_id')
            .whereRef('d.subscriber_id', '=', 'p.subscriber_id')
            .where('pp.last_seen_at', '>', sql<Date>`now() - interval '8 days'`), // raw: interval arithmetic
        ).as('sent'),
      ])
      // Raw: one bigint[] parameter, whatever the chunk's size.
      .where('p.subscriber_id', '=', (eb) => eb.fn.any(sql<number[]>`${[...subscriberIds]}::bigint[]`))
      .execute();
    return new Map(
      rows.map((row) => [
        Number(row.subscriberId),
        {
          topics: row.topics,
          minUpvotes: row.minUpvotes,
          maxPapers: row.maxPapers,
          since: new Date(row.since),
          sent: new Set(row.sent.map(Number)),
          followedAuthors: row.followedAuthors,
          keywords: row.keywords,
          negativeKeywords: row.negativeKeywords,
          model:
            row.modelKind === null
              ? null
              : {
                  kind: row.modelKind,
                  bias: Number(row.modelBias),
                  featureIds: row.modelFeatureIds!.map(Number),
                  weights: row.modelWeights!.map(Number),
                  examples: Number(row.modelExamples),
                },
          likedPaperIds: row.likedPaperIds.map(Number),
        },
      ]),
    );
  }

  /**
   * The papers the reader has given a word on ("more" or "less"): their private feed leaves those out
   * (a digest never sends a paper twice; a feed shows the current list again).
   */
  async papersWithFeedback(subscriberId: number): Promise<Set<number>> {
    const rows = await this.db
      .selectFrom('paper_feedback')
      .select('paper_id')
      .where('subscriber_id', '=', subscriberId)
      .execute();
    return new Set(rows.map((r) => r.paper_id));
  }

  /** Title and abstract of these papers (liked papers that are no longer candidates), in no particular order. */
  async paperTexts(ids: readonly number[]): Promise<Array<{ id: number; title: string; abstract: string | null }>> {
    if (ids.length === 0) return [];
    return (
      this.db
        .selectFrom('papers as p')
        .select(['p.id', 'p.title', 'p.abstract'])
        // Raw: one bigint[] parameter, whatever the number of ids.
        .where('p.id', '=', (eb) => eb.fn.any(sql<number[]>`${[...ids]}::bigint[]`))
        .execute()
    );
  }

  /** The papers with these ids, in the order given, with their scores (0 when not given); the reader's reason is the caller's. */
  async papersByIds(
    ids: readonly number[],
    scores: ReadonlyMap<number, number>,
  ): Promise<Array<Omit<DigestPaper, 'why'>>> {
    if (ids.length === 0) return [];
    const rows = await this.db
      .selectFrom('papers as p')
      .select((eb) => [
        ...paperHeadline,
        'p.url',
        'p.upvotes',
        'p.ai_summary as aiSummary',
        'p.code_url as codeUrl',
        'p.code_stars as codeStars',
        'p.project_page as projectPage',
        arrayOf(
          eb
            .selectFrom('paper_topics as t')
            .select('t.topic_id')
            .whereRef('t.paper_id', '=', 'p.id')
            .orderBy('t.position'),
        ).as('topics'),
      ])
      // Raw: one bigint[] parameter, whatever the number of ids.
      .where('p.id', '=', (eb) => eb.fn.any(sql<number[]>`${[...ids]}::bigint[]`))
      .execute();
    const byId = new Map(rows.map((r) => [r.id, r]));
    return ids.flatMap((id) => {
      const row = byId.get(id);
      return row ? [{ ...row, score: scores.get(id) ?? 0 }] : [];
    });
  }

  /** `recordDeliveredPapers` for many deliveries in one statement. */
  async recordDeliveredPapersOf(
    deliveries: ReadonlyArray<{ subscriberId: number; deliveryId: number; paperIds: readonly number[] }>,
  ): Promise<void> {
    const rows = deliveries.flatMap((d) => d.paperIds.map((id) => [d.subscriberId, id, d.deliveryId] as const));
    if (rows.length === 0) return;
    // Raw: a batch write from unnest()ed arrays.
    await sql`
      INSERT INTO delivered_papers (subscriber_id, paper_id, delivery_id)
      SELECT * FROM unnest(${rows.map((r) => r[0])}::bigint[], ${rows.map((r) => r[1])}::bigint[], ${rows.map((r) => r[2])}::bigint[])
      ON CONFLICT DO NOTHING`.execute(this.db);
  }

  /** Records which papers a delivery sent, so no later digest repeats them. */
  async recordDeliveredPapers(subscriberId: number, deliveryId: number, paperIds: readonly number[]): Promise<void> {
    if (paperIds.length === 0) return;
    // Raw: a batch write from an unnest()ed array.
    await sql`
      INSERT INTO delivered_papers (subscriber_id, paper_id, delivery_id)
      SELECT ${subscriberId}, u.id, ${deliveryId} FROM unnest(${[...paperIds]}::bigint[]) AS u(id)
      ON CONFLICT DO NOTHING`.execute(this.db);
  }
}
