import { type Kysely, sql } from 'kysely';
import type { Database } from '../schema.js';

// Rows of the `dashboard` views (migration 0004; contract in migrations/README.md).
// Days are UTC calendar days as 'YYYY-MM-DD' text; instants are Dates.

export interface PapersPerDayRow {
  day: string;
  papers: number;
}

export interface PapersPerTopicDayRow {
  day: string;
  topicId: string | null;
  papers: number;
}

export interface TopicTrendRow {
  day: string;
  topicId: string | null;
  papers: number;
  upvotesSum: number;
}

export interface TrendingPaperRow {
  paperId: number;
  arxivId: string | null;
  title: string;
  upvotes: number | null;
  growth24h: number;
  score: number;
  bestTopic: string | null;
}

export interface PaperHistoryRow {
  paperId: number;
  arxivId: string | null;
  source: string;
  listing: string;
  seenAt: Date;
  rank: number;
  upvotes: number | null;
  comments: number | null;
  /** Code repository stars the listing showed (migration 0021). */
  stars: number | null;
}

/** A row of `dashboard.papers_with_code` (migration 0021). */
export interface PaperWithCodeRow {
  paperId: number;
  arxivId: string | null;
  title: string;
  codeUrl: string;
  codeStars: number | null;
  projectPage: string | null;
  paperUrl: string | null;
  upvotes: number | null;
  firstSeenAt: Date;
  lastSeenAt: Date;
  primaryCategory: string | null;
  aiSummary: string | null;
}

/** A paper's stored fields its links are made from (`paperLinkFields`). */
export interface PaperLinkFieldsRow {
  paperId: number;
  arxivId: string | null;
  url: string | null;
  codeUrl: string | null;
  codeStars: number | null;
  projectPage: string | null;
  aiSummary: string | null;
  submittedBy: string | null;
}

/** A row of `dashboard.stars_per_day` (migration 0021). */
export interface StarsPerDayRow {
  paperId: number;
  arxivId: string | null;
  day: string;
  stars: number;
  minStars: number;
  maxStars: number;
  sightings: number;
  lastSeenAt: Date;
}

export interface DashboardSourceHealthRow {
  source: string;
  lastCrawlAt: Date;
  lastOutcome: string;
  lastStatus: number | null;
  lastEntries: number | null;
  lastSuccessAt: Date | null;
  suspect: boolean;
  suspectReason: string | null;
  crawls24h: number;
  failures24h: number;
}

export interface DigestStatsRow {
  day: string;
  planned: number;
  sent: number;
  skipped: number;
  failed: number;
}

/** Rows `day > today (UTC) - days`: the last `days` UTC days, today included. */
// Raw: date arithmetic on today's UTC date.
const sinceDays = (days: number) =>
  sql<string>`(now() AT TIME ZONE 'UTC')::date - ${Math.max(0, Math.trunc(days))}::int`;

export interface DashboardRefreshResult {
  mode: 'incremental' | 'full';
  durationMs: number;
  /** UTC days of topic_trends recomputed. */
  trendDays: number;
  /** UTC days of papers_per_topic_day recomputed. */
  newPaperDays: number;
  /** Trending candidates after the refresh. */
  trendingPapers: number;
  /** Papers whose trending row was recomputed (every candidate in a full rebuild). */
  trendingRecomputed: number;
}

export interface DashboardRefreshRow extends Omit<DashboardRefreshResult, 'trendingRecomputed'> {
  startedAt: Date;
}

/** Reads of the `dashboard` views, one method per view, for the read API. */
export class DashboardRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /** New papers per UTC day over the last `days` days (today included), oldest first. */
  async papersPerDay(days: number): Promise<PapersPerDayRow[]> {
    return this.db
      .selectFrom('dashboard.papers_per_day')
      .select(['day', 'papers'])
      .where('day', '>', sinceDays(days))
      .orderBy('day')
      .execute();
  }

  /** New papers per UTC day and best topic over the last `days` days, by day then topic (no topic last). */
  async papersPerTopicDay(days: number): Promise<PapersPerTopicDayRow[]> {
    return this.db
      .selectFrom('dashboard.papers_per_topic_day')
      .select(['day', 'topic_id as topicId', 'papers'])
      .where('day', '>', sinceDays(days))
      .orderBy('day')
      .orderBy('topic_id', (ob) => ob.asc().nullsLast())
      .execute();
  }

  /** Papers sighted and their upvotes per UTC day and best topic over the last `days` days. */
  async topicTrends(days: number): Promise<TopicTrendRow[]> {
    return this.db
      .selectFrom('dashboard.topic_trends')
      .select(['day', 'topic_id as topicId', 'papers', 'upvotes_sum as upvotesSum'])
      .where('day', '>', sinceDays(days))
      .orderBy('day')
      .orderBy('topic_id', (ob) => ob.asc().nullsLast())
      .execute();
  }

  /** The `limit` best papers by the digests' trending score. */
  async trendingNow(limit: number): Promise<TrendingPaperRow[]> {
    return this.db
      .selectFrom('dashboard.trending_now')
      .select([
        'paper_id as paperId',
        'arxiv_id as arxivId',
        'title',
        'upvotes',
        'growth_24h as growth24h',
        'score',
        'best_topic as bestTopic',
      ])
      .orderBy('trend_key', 'desc')
      .orderBy('paper_id')
      .limit(Math.max(0, Math.trunc(limit)))
      .execute();
  }

  /** Every sighting of the paper with this arXiv id, oldest first (empty when unknown). */
  async paperHistory(arxivId: string): Promise<PaperHistoryRow[]> {
    return this.db
      .selectFrom('dashboard.paper_history')
      .select([
        'paper_id as paperId',
        'arxiv_id as arxivId',
        'source',
        'listing',
        'seen_at as seenAt',
        'rank',
        'upvotes',
        'comments',
        'stars',
      ])
      .where('arxiv_id', '=', arxivId)
      .orderBy('seen_at')
      .orderBy('source')
      .orderBy('listing')
      .execute();
  }

  /**
   * Papers with a code repository, most stars first (unknown stars last, by id), `limit` of them: the
   * index papers_code_stars read in order for those with stars, then for those without.
   */
  async papersWithCode(limit: number): Promise<PaperWithCodeRow[]> {
    const n = Math.max(0, Math.trunc(limit));
    const select = (withStars: boolean) =>
      this.db
        .selectFrom('dashboard.papers_with_code')
        .select([
          'paper_id as paperId',
          'arxiv_id as arxivId',
          'title',
          'code_url as codeUrl',
          'code_stars as codeStars',
          'project_page as projectPage',
          'paper_url as paperUrl',
          'upvotes',
          'first_seen_at as firstSeenAt',
          'last_seen_at as lastSeenAt',
          'primary_category as primaryCategory',
          'ai_summary as aiSummary',
        ])
        .where('code_stars', withStars ? 'is not' : 'is', null);
    const ranked = await select(true).orderBy('code_stars', 'desc').orderBy('paper_id').limit(n).execute();
    if (ranked.length >= n) return ranked;
    // The same index (unknown stars are its first entries, by id): never a walk of every paper.
    const rest = await select(false)
      .orderBy('code_stars', 'desc')
      .orderBy('paper_id')
      .limit(n - ranked.length)
      .execute();
    return [...ranked, ...rest];
  }

  /**
   * What the links of these papers are made from (storedPaperLinks of @paperboy/pipeline), by paper id:
   * the dashboard page links each title to its canonical page. Primary-key look-ups.
   */
  async paperLinkFields(ids: readonly number[]): Promise<Map<number, PaperLinkFieldsRow>> {
    if (ids.length === 0) return new Map();
    const rows = await this.db
      .selectFrom('papers as p')
      .select([
        'p.id as paperId',
        'p.arxiv_id as arxivId',
        'p.url',
        'p.code_url as codeUrl',
        'p.code_stars as codeStars',
        'p.project_page as projectPage',
        'p.ai_summary as aiSummary',
        'p.submitted_by as submittedBy',
      ])
      // Raw: one bigint[] parameter, whatever the number of ids.
      .where('p.id', '=', (eb) => eb.fn.any(sql<number[]>`${[...ids]}::bigint[]`))
      .execute();
    return new Map(rows.map((r) => [r.paperId, r]));
  }

  /** The code stars per UTC day of the paper with this arXiv id, oldest first (empty when unknown or never shown). */
  async starsPerDay(arxivId: string): Promise<StarsPerDayRow[]> {
    return this.db
      .selectFrom('dashboard.stars_per_day')
      .select([
        'paper_id as paperId',
        'arxiv_id as arxivId',
        'day',
        'stars',
        'min_stars as minStars',
        'max_stars as maxStars',
        'sightings',
        'last_seen_at as lastSeenAt',
      ])
      .where('arxiv_id', '=', arxivId)
      .orderBy('day')
      .execute();
  }

  /** Health of every source that has a finished crawl, by source id. */
  async sourceHealth(): Promise<DashboardSourceHealthRow[]> {
    return this.db
      .selectFrom('dashboard.source_health')
      .select([
        'source',
        'last_crawl_at as lastCrawlAt',
        'last_outcome as lastOutcome',
        'last_status as lastStatus',
        'last_entries as lastEntries',
        'last_success_at as lastSuccessAt',
        'suspect',
        'suspect_reason as suspectReason',
        'crawls_24h as crawls24h',
        'failures_24h as failures24h',
      ])
      .orderBy('source')
      .execute();
  }

  /** Digest deliveries per UTC day planned over the last `days` days, oldest first. */
  async digestStats(days: number): Promise<DigestStatsRow[]> {
    return this.db
      .selectFrom('dashboard.digest_stats')
      .select(['day', 'planned', 'sent', 'skipped', 'failed'])
      .where('day', '>', sinceDays(days))
      .orderBy('day')
      .execute();
  }

  /**
   * Brings the precomputed views (papers_per_topic_day, topic_trends, trending_now) up to date
   * (migration 0006): only the days marked as changed, or every day with `full`. One at a time
   * across processes (an advisory lock: a second caller waits); readers never wait.
   */
  async refresh(options: { full?: boolean } = {}): Promise<DashboardRefreshResult> {
    // Raw: a set-returning function in FROM, which the builder has no typed form for.
    const { rows } = await sql<DashboardRefreshResult>`
      SELECT mode, duration_ms AS "durationMs", trend_days AS "trendDays", new_paper_days AS "newPaperDays", trending_papers AS "trendingPapers",
        trending_recomputed AS "trendingRecomputed"
      FROM dashboard_cache.refresh(${options.full === true})`.execute(this.db);
    // A full rebuild rewrites every trending row: until the table's statistics follow, the planner
    // may read all of them and sort (15 s at 889,000 rows) instead of the first page of the index
    // trending_order (3 ms), for the dashboard and the read API alike; autovacuum would analyze only later.
    if (options.full === true) await sql`ANALYZE dashboard_cache.trending`.execute(this.db);
    return rows[0]!;
  }

  /** The latest refresh of each kind (dashboard.refreshes). */
  async refreshes(): Promise<DashboardRefreshRow[]> {
    return this.db
      .selectFrom('dashboard.refreshes')
      .select([
        'mode',
        'started_at as startedAt',
        'duration_ms as durationMs',
        'trend_days as trendDays',
        'new_paper_days as newPaperDays',
        'trending_papers as trendingPapers',
      ])
      .orderBy('mode')
      .execute();
  }

  /** Days marked as changed and not yet refreshed, by kind. */
  async pendingDays(): Promise<{ seen: number; first: number }> {
    return this.db
      .selectFrom('dashboard_cache.dirty_days')
      .select((eb) => [
        eb.cast<number>(eb.fn.count('day').distinct().filterWhere('kind', '=', 'seen'), 'integer').as('seen'),
        eb.cast<number>(eb.fn.count('day').distinct().filterWhere('kind', '=', 'first'), 'integer').as('first'),
      ])
      .executeTakeFirstOrThrow();
  }
}
