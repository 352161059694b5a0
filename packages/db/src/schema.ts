import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;

export interface PapersTable {
  id: Generated<number>;
  arxiv_id: string | null;
  title: string;
  title_key: string;
  abstract: string | null;
  authors: string[];
  author_keys: string[];
  categories: string[];
  url: string | null;
  published_at: Timestamp | null;
  upvotes: number | null;
  comments: number | null;
  counts_seen_at: Timestamp | null;
  first_seen_at: Timestamp;
  last_seen_at: Timestamp;
  created_at: Generated<Timestamp>;
  updated_at: Generated<Timestamp>;
  /** Provenance (migration 0008): the source whose entry gave `url`, and the link's origin. */
  url_source: string | null;
  url_origin: 'canonical' | 'arxiv' | 'listing' | 'legacy' | null;
  /** The source whose entry gave `upvotes`/`comments`, and the counts' origin. */
  counts_source: string | null;
  counts_origin: 'canonical' | 'listing' | 'legacy' | null;
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
  stored_at: Generated<Timestamp>;
}

export interface BackfillsTable {
  id: Generated<number>;
  source: string;
  from_date: ColumnType<string, string, string>;
  to_date: ColumnType<string, string, string>;
  next_date: ColumnType<string, string, string>;
  pages_done: Generated<number>;
  pages_failed: Generated<number>;
  started_at: Generated<Timestamp>;
  updated_at: Generated<Timestamp>;
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
  seen_at: Timestamp;
  fetch_id: number | null;
}

export interface PaperTopicsTable {
  paper_id: number;
  topic_id: string;
  score: number;
  position: number;
  evidence: string[];
  taxonomy_version: string;
  classified_at: Generated<Timestamp>;
}

export interface PaperLabelsTable {
  paper_id: number;
  topic_id: string;
  labelled_by: string | null;
  labelled_at: Generated<Timestamp>;
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
  created_at: Generated<Timestamp>;
}

export interface SubscribersTable {
  id: Generated<number>;
  email: string;
  status: 'pending' | 'active' | 'unsubscribed' | 'bounced';
  hard_bounces: Generated<number>;
  created_at: Generated<Timestamp>;
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
  topics: string[];
  frequency: 'daily' | 'weekly';
  send_hour: Generated<number>;
  time_zone: Generated<string>;
  min_upvotes: Generated<number>;
  max_papers: Generated<number>;
  updated_at: Generated<Timestamp>;
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
  planned_at: Generated<Timestamp>;
  claimed_at: Timestamp | null;
  finished_at: Timestamp | null;
}

export interface DeliveredPapersTable {
  subscriber_id: number;
  paper_id: number;
  delivery_id: number;
}

/** The generated HMAC secret of subscriber links, when PAPERBOY_SECRET is unset; one row at most. */
export interface LinkSecretTable {
  id: Generated<boolean>;
  secret: string;
  created_at: Generated<Timestamp>;
}

export interface Database {
  papers: PapersTable;
  paper_aliases: PaperAliasesTable;
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
  deliveries: DeliveriesTable;
  delivered_papers: DeliveredPapersTable;
  link_secret: LinkSecretTable;
}

export type Paper = Selectable<PapersTable>;
export type NewPageFetch = Insertable<PageFetchesTable>;
