import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

// The tables and views of the database, as the migrations leave them (packages/db/README.md describes
// them). Kysely checks every builder query against these types; row types are derived from them
// (Selectable/Insertable/Updateable) rather than written out again.

/** timestamptz: read as a Date, written as a Date or an ISO string. */
type Timestamp = ColumnType<Date, Date | string, Date | string>;
/** timestamptz with a default (now()): optional on insert. DefaultTimestamp would nest two ColumnTypes. */
type DefaultTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;
/** date: read as its YYYY-MM-DD text (a type parser in connection.ts), never as a local midnight. */
type DateText = ColumnType<string, string, string>;
/** A column of a view: read-only. */
type ViewColumn<T> = ColumnType<T, never, never>;

export interface PapersTable {
  id: Generated<number>;
  arxiv_id: string | null;
  title: string;
  title_key: string;
  abstract: string | null;
  authors: Generated<string[]>;
  author_keys: Generated<string[]>;
  categories: Generated<string[]>;
  url: string | null;
  published_at: Timestamp | null;
  upvotes: number | null;
  comments: number | null;
  counts_seen_at: Timestamp | null;
  first_seen_at: Timestamp;
  last_seen_at: Timestamp;
  created_at: DefaultTimestamp;
  updated_at: DefaultTimestamp;
  /** Provenance (migration 0008): the source whose entry gave `url`, and the link's origin. */
  url_source: string | null;
  url_origin: 'canonical' | 'arxiv' | 'listing' | 'legacy' | null;
  /** The source whose entry gave `upvotes`/`comments`, and the counts' origin. */
  counts_source: string | null;
  counts_origin: 'canonical' | 'listing' | 'legacy' | null;
  /**
   * Full-text document (migration 0018): a stored generated column, to_tsvector('english', title || ' ' ||
   * abstract), read as its text; never written (Postgres computes it).
   */
  search_document: ColumnType<string, never, never>;
  /**
   * What the sources give beyond the listing (migration 0020): the current values; every value with
   * its source and time is in `paper_facts`. `details_*`: the source and observation whose values are current.
   */
  code_url: string | null;
  code_stars: number | null;
  project_page: string | null;
  ai_summary: string | null;
  ai_keywords: Generated<string[]>;
  organization: string | null;
  submitted_by: string | null;
  thumbnail: string | null;
  media_urls: Generated<string[]>;
  primary_category: string | null;
  arxiv_comments: string | null;
  journal_ref: string | null;
  doi: string | null;
  license: string | null;
  /** The highest arXiv version seen (`paper_versions` lists each). */
  latest_version: number | null;
  details_source: string | null;
  details_seen_at: Timestamp | null;
  details_origin: 'canonical' | 'listing' | null;
}

/** Every value a source gave for a paper's field, with when (migration 0020); rewritten when it changes. */
export interface PaperFactsTable {
  paper_id: number;
  source: string;
  field: string;
  value: unknown;
  seen_at: Timestamp;
}

/** Each arXiv version of a paper seen, first time and source (migration 0020). */
export interface PaperVersionsTable {
  paper_id: number;
  version: number;
  first_seen_at: Timestamp;
  source: string;
}

/** Which papers are due for which enrichment, and how the last one ended (migration 0022). */
export interface PaperEnrichmentsTable {
  paper_id: number;
  kind: 'arxiv' | 'hf';
  due_at: Timestamp | null;
  enqueued_at: Timestamp | null;
  enriched_at: Timestamp | null;
  outcome: string | null;
  error: string | null;
}

export interface PaperAliasesTable {
  source: string;
  external_id: string;
  paper_id: number;
  first_seen_at: Timestamp;
}

export interface PageFetchesTable {
  id: Generated<number>;
  source: string;
  url: string;
  final_url: string | null;
  status: number | null;
  bytes: number | null;
  content_hash: string | null;
  content_type: string | null;
  fetched_at: Timestamp;
  duration_ms: number;
  entries: number | null;
  warnings: Generated<string[]>;
  error: string | null;
  adapter: string | null;
  etag: string | null;
  last_modified: string | null;
  not_modified: Generated<boolean>;
  crawl_id: number | null;
  /** When its ingest batches were safely enqueued (0012); null: not yet, so the fetch does not count as seen. */
  enqueued_at: Timestamp | null;
  /** Entries per ingest batch when it was enqueued (0012): how the reconciler rebuilds a missing chunk. */
  batch_size: number | null;
}

export interface PageBodiesTable {
  content_hash: string;
  encoding: string;
  body: Buffer;
  bytes: number;
  stored_bytes: number;
  content_type: string | null;
  first_fetched_at: Timestamp;
  last_fetched_at: Timestamp;
}

export interface CrawlsTable {
  id: Generated<number>;
  source: string;
  url: string;
  trigger: string;
  job_key: string | null;
  /** The job crawling it: queue, job id and the job's creation time in ms (migration 0019); a retry finds its row by it. */
  job_instance: string | null;
  started_at: Timestamp;
  finished_at: Timestamp | null;
  status: number | null;
  outcome: Generated<string>;
  entries: number | null;
  batches: number | null;
  errors: Generated<number>;
  error: string | null;
  warnings: Generated<string[]>;
  duration_ms: number | null;
  suspect: Generated<boolean>;
  suspect_reason: string | null;
}

export interface CrawlBatchesTable {
  crawl_id: number;
  chunk: number;
  new: number;
  updated: number;
  merged: number;
  rejected: number;
  stored_at: DefaultTimestamp;
}

export interface BackfillsTable {
  id: Generated<number>;
  source: string;
  from_date: DateText;
  to_date: DateText;
  next_date: DateText;
  pages_done: Generated<number>;
  pages_failed: Generated<number>;
  started_at: DefaultTimestamp;
  updated_at: DefaultTimestamp;
  finished_at: Timestamp | null;
}

export interface SightingsTable {
  id: Generated<number>;
  paper_id: number;
  source: string;
  listing: string;
  rank: number;
  upvotes: number | null;
  comments: number | null;
  /** The code repository's stars as the source showed them (migration 0020). */
  stars: number | null;
  seen_at: Timestamp;
  fetch_id: number | null;
}

export interface PaperTopicsTable {
  paper_id: number;
  topic_id: string;
  score: number;
  position: number;
  evidence: Generated<string[]>;
  taxonomy_version: string;
  classified_at: DefaultTimestamp;
}

export interface PaperLabelsTable {
  paper_id: number;
  topic_id: string;
  labelled_by: string | null;
  labelled_at: DefaultTimestamp;
}

export interface RejectedEntriesTable {
  id: Generated<number>;
  fetch_id: number | null;
  source: string;
  listing: string;
  seen_at: Timestamp;
  rank: number;
  reason: string;
  raw: unknown;
  created_at: DefaultTimestamp;
}

export interface SubscribersTable {
  id: Generated<number>;
  email: string;
  status: 'pending' | 'active' | 'unsubscribed' | 'bounced';
  hard_bounces: Generated<number>;
  created_at: DefaultTimestamp;
  confirmed_at: Timestamp | null;
  unsubscribed_at: Timestamp | null;
  bounced_at: Timestamp | null;
  /** Carried by every subscriber link; links of an older version are refused (migration 0007). */
  token_version: Generated<number>;
  /** Confirmation mails sent since confirmation_window_at (migration 0010). */
  confirmations_sent: Generated<number>;
  confirmation_window_at: Timestamp | null;
  confirmation_sent_at: Timestamp | null;
}

export interface SubscriberPreferencesTable {
  subscriber_id: number;
  topics: Generated<string[]>;
  frequency: 'daily' | 'weekly';
  send_hour: Generated<number>;
  time_zone: Generated<string>;
  min_upvotes: Generated<number>;
  max_papers: Generated<number>;
  updated_at: DefaultTimestamp;
  /** Authors whose papers always qualify, keywords that qualify a paper, keywords that exclude one (migration 0023). */
  followed_authors: Generated<string[]>;
  keywords: Generated<string[]>;
  negative_keywords: Generated<string[]>;
}

/** A reader's latest word on a paper from a digest's feedback links: 1 "more like this", -1 "less like this" (migration 0023). */
export interface PaperFeedbackTable {
  subscriber_id: number;
  paper_id: number;
  signal: 1 | -1;
  given_at: DefaultTimestamp;
  /** The word this one replaced, with its time (migration 0025): what an undo puts back. */
  previous_signal: 1 | -1 | null;
  previous_given_at: Date | null;
}

/** A reader's linear model over hashed features of title and abstract, trained on their feedback (migration 0023). */
export interface ReaderModelsTable {
  subscriber_id: number;
  kind: string;
  bias: number;
  feature_ids: number[];
  weights: number[];
  examples: number;
  /** The newest feedback (given_at) the model learned from; older than the reader's newest feedback: stale. */
  trained_through: Timestamp | null;
  trained_at: DefaultTimestamp;
}

export interface DeliveriesTable {
  id: Generated<number>;
  subscriber_id: number;
  period_key: string;
  status: 'planned' | 'claimed' | 'sent' | 'skipped' | 'failed';
  attempts: Generated<number>;
  message_id: string | null;
  smtp_response: string | null;
  error: string | null;
  planned_at: DefaultTimestamp;
  claimed_at: Timestamp | null;
  finished_at: Timestamp | null;
}

export interface DeliveredPapersTable {
  subscriber_id: number;
  paper_id: number;
  delivery_id: number;
}

/** The generated HMAC secret of subscriber links, when PAPERBOY_SECRET is unset; one row at most. */
/**
 * The outbox (migration 0024): one row per event, written in the transaction of its change. Readers
 * walk it by position (tx_id, id), taking only transactions older than every one still running.
 * Bigint columns are read as strings (node-postgres); `tx_id` is an xid8, also read as a string.
 */
export interface EventsTable {
  id: ColumnType<string, never, never>;
  event_id: ColumnType<string, never, never>;
  tx_id: ColumnType<string, never, never>;
  type: string;
  version: number;
  paper_id: number | null;
  source: string | null;
  topics: ColumnType<string[], string[] | undefined, string[]>;
  data: ColumnType<unknown, string, string>;
  dedupe_key: string | null;
  occurred_at: DefaultTimestamp;
}

/** A webhook subscription, its position in the outbox, its health (migration 0024). */
export interface WebhookEndpointsTable {
  id: Generated<number>;
  url: string;
  description: string | null;
  event_types: ColumnType<string[], string[] | undefined, string[]>;
  topics: ColumnType<string[], string[] | undefined, string[]>;
  secret: string;
  enabled: Generated<boolean>;
  disabled_reason: string | null;
  disabled_at: Timestamp | null;
  cursor_tx: string;
  cursor_id: ColumnType<string, string | number, string | number>;
  consecutive_failures: Generated<number>;
  failing_since: Timestamp | null;
  last_attempt_at: Timestamp | null;
  last_success_at: Timestamp | null;
  last_failure_at: Timestamp | null;
  last_status: number | null;
  last_error: string | null;
  delivered: ColumnType<string, string | number | undefined, string | number>;
  failed: ColumnType<string, string | number | undefined, string | number>;
  created_at: DefaultTimestamp;
  updated_at: DefaultTimestamp;
}

/** Papers announced (paper.trending) as in the trending top N, with their rank then (migration 0024). */
export interface EventTrendingTable {
  paper_id: number;
  rank: number;
  entered_at: DefaultTimestamp;
}

/** Each source's health as last announced by source.health_changed (migration 0024). */
export interface EventSourceHealthTable {
  source: string;
  health: string;
  reason: string | null;
  changed_at: DefaultTimestamp;
}

export interface LinkSecretTable {
  id: Generated<boolean>;
  secret: string;
  created_at: DefaultTimestamp;
}

// --- Schema dashboard_cache (migration 0006): precomputed rows behind four dashboard views. Internal. ---

export interface CacheTopicTrendsTable {
  day: DateText;
  topic_id: string | null;
  papers: number;
  upvotes_sum: number;
}

export interface CachePapersPerTopicDayTable {
  day: DateText;
  topic_id: string | null;
  papers: number;
}

/** UTC days whose precomputed rows a refresh must recompute: 'seen' (topic_trends), 'first' (papers_per_topic_day). */
export interface CacheDirtyDaysTable {
  id: Generated<number>;
  kind: 'seen' | 'first';
  day: DateText;
  marked_at: DefaultTimestamp;
}

/** Papers whose trending row a refresh must recompute. */
export interface CacheDirtyPapersTable {
  id: Generated<number>;
  paper_id: number;
}

export interface CacheRefreshesTable {
  mode: 'incremental' | 'full';
  started_at: Timestamp;
  duration_ms: number;
  trend_days: number;
  new_paper_days: number;
  trending_papers: number;
  /** now() of the refresh's transaction: the trending rows are as of this instant. */
  computed_at: Timestamp;
}

/** Trending candidates (papers seen in the last 8 days) as of the last refresh; trend_key = trending_key() (0017). */
export interface CacheTrendingTable {
  paper_id: number;
  arxiv_id: string | null;
  title: string;
  upvotes: number | null;
  growth_24h: number;
  first_seen_at: Timestamp;
  last_seen_at: Timestamp;
  best_topic: string | null;
  trend_key: number;
}

/** View: every paper's best topic (label first, else computed position 0). */
export interface CacheBestTopicsView {
  paper_id: ViewColumn<number>;
  topic_id: ViewColumn<string | null>;
}

// --- Schema dashboard: the views dashboards and the read API read (the contract: packages/db/README.md). ---

export interface PapersPerDayView {
  day: ViewColumn<string>;
  papers: ViewColumn<number>;
}

export interface PapersPerTopicDayView {
  day: ViewColumn<string>;
  topic_id: ViewColumn<string | null>;
  papers: ViewColumn<number>;
}

export interface TopicTrendsView {
  day: ViewColumn<string>;
  topic_id: ViewColumn<string | null>;
  papers: ViewColumn<number>;
  upvotes_sum: ViewColumn<number>;
}

export interface TrendingNowView {
  paper_id: ViewColumn<number>;
  arxiv_id: ViewColumn<string | null>;
  title: ViewColumn<string>;
  upvotes: ViewColumn<number | null>;
  growth_24h: ViewColumn<number>;
  score: ViewColumn<number>;
  best_topic: ViewColumn<string | null>;
  trend_key: ViewColumn<number>;
}

export interface PaperHistoryView {
  paper_id: ViewColumn<number>;
  arxiv_id: ViewColumn<string | null>;
  source: ViewColumn<string>;
  listing: ViewColumn<string>;
  seen_at: ViewColumn<Date>;
  rank: ViewColumn<number>;
  upvotes: ViewColumn<number | null>;
  comments: ViewColumn<number | null>;
  /** Migration 0021. */
  stars: ViewColumn<number | null>;
}

/** `dashboard.papers_with_code` (migration 0021). */
export interface PapersWithCodeView {
  paper_id: ViewColumn<number>;
  arxiv_id: ViewColumn<string | null>;
  title: ViewColumn<string>;
  code_url: ViewColumn<string>;
  code_stars: ViewColumn<number | null>;
  project_page: ViewColumn<string | null>;
  paper_url: ViewColumn<string | null>;
  upvotes: ViewColumn<number | null>;
  first_seen_at: ViewColumn<Date>;
  last_seen_at: ViewColumn<Date>;
  primary_category: ViewColumn<string | null>;
  ai_summary: ViewColumn<string | null>;
}

/** `dashboard.stars_per_day` (migration 0021). */
export interface StarsPerDayView {
  paper_id: ViewColumn<number>;
  arxiv_id: ViewColumn<string | null>;
  day: ViewColumn<string>;
  stars: ViewColumn<number>;
  min_stars: ViewColumn<number>;
  max_stars: ViewColumn<number>;
  sightings: ViewColumn<number>;
  last_seen_at: ViewColumn<Date>;
}

export interface SourceHealthView {
  source: ViewColumn<string>;
  last_crawl_at: ViewColumn<Date>;
  last_outcome: ViewColumn<string>;
  last_status: ViewColumn<number | null>;
  last_entries: ViewColumn<number | null>;
  last_success_at: ViewColumn<Date | null>;
  suspect: ViewColumn<boolean>;
  suspect_reason: ViewColumn<string | null>;
  crawls_24h: ViewColumn<number>;
  failures_24h: ViewColumn<number>;
}

export interface DigestStatsView {
  day: ViewColumn<string>;
  planned: ViewColumn<number>;
  sent: ViewColumn<number>;
  skipped: ViewColumn<number>;
  failed: ViewColumn<number>;
}

export interface ClaimedDeliveriesView {
  delivery_id: ViewColumn<number>;
  subscriber_id: ViewColumn<number>;
  period_key: ViewColumn<string>;
  claimed_at: ViewColumn<Date>;
  attempts: ViewColumn<number>;
  claimed_minutes: ViewColumn<number>;
}

export interface RefreshesView {
  mode: ViewColumn<'incremental' | 'full'>;
  started_at: ViewColumn<Date>;
  duration_ms: ViewColumn<number>;
  trend_days: ViewColumn<number>;
  new_paper_days: ViewColumn<number>;
  trending_papers: ViewColumn<number>;
}

export interface Database {
  papers: PapersTable;
  paper_aliases: PaperAliasesTable;
  paper_facts: PaperFactsTable;
  paper_versions: PaperVersionsTable;
  paper_enrichments: PaperEnrichmentsTable;
  page_fetches: PageFetchesTable;
  sightings: SightingsTable;
  paper_topics: PaperTopicsTable;
  paper_labels: PaperLabelsTable;
  rejected_entries: RejectedEntriesTable;
  page_bodies: PageBodiesTable;
  crawls: CrawlsTable;
  crawl_batches: CrawlBatchesTable;
  backfills: BackfillsTable;
  subscribers: SubscribersTable;
  subscriber_preferences: SubscriberPreferencesTable;
  paper_feedback: PaperFeedbackTable;
  reader_models: ReaderModelsTable;
  deliveries: DeliveriesTable;
  delivered_papers: DeliveredPapersTable;
  link_secret: LinkSecretTable;
  events: EventsTable;
  webhook_endpoints: WebhookEndpointsTable;
  event_trending: EventTrendingTable;
  event_source_health: EventSourceHealthTable;
  'dashboard_cache.topic_trends': CacheTopicTrendsTable;
  'dashboard_cache.papers_per_topic_day': CachePapersPerTopicDayTable;
  'dashboard_cache.dirty_days': CacheDirtyDaysTable;
  'dashboard_cache.dirty_papers': CacheDirtyPapersTable;
  'dashboard_cache.refreshes': CacheRefreshesTable;
  'dashboard_cache.trending': CacheTrendingTable;
  'dashboard_cache.best_topics': CacheBestTopicsView;
  'dashboard_cache.trending_candidates': CacheTrendingTable;
  'dashboard.papers_per_day': PapersPerDayView;
  'dashboard.papers_per_topic_day': PapersPerTopicDayView;
  'dashboard.topic_trends': TopicTrendsView;
  'dashboard.trending_now': TrendingNowView;
  'dashboard.paper_history': PaperHistoryView;
  'dashboard.papers_with_code': PapersWithCodeView;
  'dashboard.stars_per_day': StarsPerDayView;
  'dashboard.source_health': SourceHealthView;
  'dashboard.digest_stats': DigestStatsView;
  'dashboard.claimed_deliveries': ClaimedDeliveriesView;
  'dashboard.refreshes': RefreshesView;
}

// Row types, derived from the tables above.
export type Paper = Selectable<PapersTable>;
export type NewPaperRow = Insertable<PapersTable>;
export type PaperRowUpdate = Updateable<PapersTable>;
export type Sighting = Selectable<SightingsTable>;
export type NewSighting = Insertable<SightingsTable>;
export type NewPaperTopic = Insertable<PaperTopicsTable>;
export type PageFetch = Selectable<PageFetchesTable>;
export type NewPageFetch = Insertable<PageFetchesTable>;
export type Crawl = Selectable<CrawlsTable>;
export type NewCrawlRow = Insertable<CrawlsTable>;
export type Subscriber = Selectable<SubscribersTable>;
export type NewSubscriber = Insertable<SubscribersTable>;
export type SubscriberPreferencesRow = Selectable<SubscriberPreferencesTable>;
export type Delivery = Selectable<DeliveriesTable>;
export type DeliveryStatus = DeliveriesTable['status'];
