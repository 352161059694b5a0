import { sql, type Kysely } from 'kysely';
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
const sinceDays = (days: number) => sql`(now() AT TIME ZONE 'UTC')::date - ${Math.max(0, Math.trunc(days))}::int`;

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
    const { rows } = await sql<PapersPerDayRow>`
      SELECT day, papers FROM dashboard.papers_per_day WHERE day > ${sinceDays(days)} ORDER BY day`.execute(this.db);
    return rows;
  }

  /** New papers per UTC day and best topic over the last `days` days, by day then topic (no topic last). */
  async papersPerTopicDay(days: number): Promise<PapersPerTopicDayRow[]> {
    const { rows } = await sql<PapersPerTopicDayRow>`
      SELECT day, topic_id AS "topicId", papers FROM dashboard.papers_per_topic_day
      WHERE day > ${sinceDays(days)} ORDER BY day, topic_id NULLS LAST`.execute(this.db);
    return rows;
  }

  /** Papers sighted and their upvotes per UTC day and best topic over the last `days` days. */
  async topicTrends(days: number): Promise<TopicTrendRow[]> {
    const { rows } = await sql<TopicTrendRow>`
      SELECT day, topic_id AS "topicId", papers, upvotes_sum AS "upvotesSum" FROM dashboard.topic_trends
      WHERE day > ${sinceDays(days)} ORDER BY day, topic_id NULLS LAST`.execute(this.db);
    return rows;
  }

  /** The `limit` best papers by the digests' trending score. */
  async trendingNow(limit: number): Promise<TrendingPaperRow[]> {
    const { rows } = await sql<TrendingPaperRow>`
      SELECT paper_id AS "paperId", arxiv_id AS "arxivId", title, upvotes, growth_24h AS "growth24h", score, best_topic AS "bestTopic"
      FROM dashboard.trending_now ORDER BY trend_key DESC, paper_id LIMIT ${Math.max(0, Math.trunc(limit))}`.execute(this.db);
    return rows;
  }

  /** Every sighting of the paper with this arXiv id, oldest first (empty when unknown). */
  async paperHistory(arxivId: string): Promise<PaperHistoryRow[]> {
    const { rows } = await sql<PaperHistoryRow>`
      SELECT paper_id AS "paperId", arxiv_id AS "arxivId", source, listing, seen_at AS "seenAt", rank, upvotes, comments
      FROM dashboard.paper_history WHERE arxiv_id = ${arxivId} ORDER BY seen_at, source, listing`.execute(this.db);
    return rows;
  }

  /** Health of every source that has a finished crawl, by source id. */
  async sourceHealth(): Promise<DashboardSourceHealthRow[]> {
    const { rows } = await sql<DashboardSourceHealthRow>`
      SELECT source, last_crawl_at AS "lastCrawlAt", last_outcome AS "lastOutcome", last_status AS "lastStatus",
        last_entries AS "lastEntries", last_success_at AS "lastSuccessAt", suspect, suspect_reason AS "suspectReason",
        crawls_24h AS "crawls24h", failures_24h AS "failures24h"
      FROM dashboard.source_health ORDER BY source`.execute(this.db);
    return rows;
  }

  /** Digest deliveries per UTC day planned over the last `days` days, oldest first. */
  async digestStats(days: number): Promise<DigestStatsRow[]> {
    const { rows } = await sql<DigestStatsRow>`
      SELECT day, planned, sent, skipped, failed FROM dashboard.digest_stats WHERE day > ${sinceDays(days)} ORDER BY day`.execute(this.db);
    return rows;
  }

  /**
   * Brings the precomputed views (papers_per_topic_day, topic_trends, trending_now) up to date
   * (migration 0006): only the days marked as changed, or every day with `full`. One at a time
   * across processes (an advisory lock: a second caller waits); readers never wait.
   */
  async refresh(options: { full?: boolean } = {}): Promise<DashboardRefreshResult> {
    const { rows } = await sql<DashboardRefreshResult>`
      SELECT mode, duration_ms AS "durationMs", trend_days AS "trendDays", new_paper_days AS "newPaperDays", trending_papers AS "trendingPapers",
        trending_recomputed AS "trendingRecomputed"
      FROM dashboard_cache.refresh(${options.full === true})`.execute(this.db);
    return rows[0]!;
  }

  /** The latest refresh of each kind (dashboard.refreshes). */
  async refreshes(): Promise<DashboardRefreshRow[]> {
    const { rows } = await sql<DashboardRefreshRow>`
      SELECT mode, started_at AS "startedAt", duration_ms AS "durationMs", trend_days AS "trendDays",
        new_paper_days AS "newPaperDays", trending_papers AS "trendingPapers"
      FROM dashboard.refreshes ORDER BY mode`.execute(this.db);
    return rows;
  }

  /** Days marked as changed and not yet refreshed, by kind. */
  async pendingDays(): Promise<{ seen: number; first: number }> {
    const { rows } = await sql<{ seen: number; first: number }>`
      SELECT count(DISTINCT day) FILTER (WHERE kind = 'seen')::int AS seen, count(DISTINCT day) FILTER (WHERE kind = 'first')::int AS first
      FROM dashboard_cache.dirty_days`.execute(this.db);
    return rows[0]!;
  }
}
