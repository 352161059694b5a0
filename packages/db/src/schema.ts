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

export interface Database {
  papers: PapersTable;
  paper_aliases: PaperAliasesTable;
  page_fetches: PageFetchesTable;
  sightings: SightingsTable;
  paper_topics: PaperTopicsTable;
  paper_labels: PaperLabelsTable;
  rejected_entries: RejectedEntriesTable;
}

export type Paper = Selectable<PapersTable>;
export type NewPageFetch = Insertable<PageFetchesTable>;
