import { authorKey, cleanAbstract, cleanTitle, normalizeArxivId, normalizeAuthors, titleKey } from './normalize.js';

/** A raw entry as it arrives in a job payload: untrusted, every field may be wrong. */
export interface IncomingEntry {
  rank: number;
  externalId?: string | undefined;
  arxivId?: string | undefined;
  title?: string | undefined;
  abstract?: string | undefined;
  authors?: string[] | undefined;
  url?: string | undefined;
  upvotes?: number | undefined;
  comments?: number | undefined;
  publishedAt?: string | undefined;
  section?: string | undefined;
  categories?: string[] | undefined;
}

export interface NormalizedEntry {
  rank: number;
  arxivId: string | null;
  /** The source's own key for the item: what the alias table stores. */
  externalId: string;
  title: string;
  titleKey: string;
  abstract: string | null;
  authors: string[];
  authorKeys: string[];
  categories: string[];
  url: string | null;
  upvotes: number | null;
  comments: number | null;
  publishedAt: Date | null;
}

export type NormalizeResult = { ok: true; entry: NormalizedEntry } | { ok: false; reason: string };

const count = (value: number | undefined): number | null =>
  typeof value === 'number' && Number.isFinite(value) && value >= 0 ? Math.floor(value) : null;

export function normalizeEntry(raw: IncomingEntry): NormalizeResult {
  const arxivId = normalizeArxivId(raw.arxivId) ?? normalizeArxivId(raw.externalId);
  const title = cleanTitle(raw.title);
  const key = titleKey(title);
  if (!key) {
    return { ok: false, reason: arxivId ? `entry ${arxivId} has no title` : 'entry has neither title nor arXiv id' };
  }
  const authors = normalizeAuthors(raw.authors);
  const externalId = arxivId ?? (raw.externalId?.trim() || raw.url?.trim() || `title:${key}`);
  const published = raw.publishedAt ? new Date(raw.publishedAt) : null;
  return {
    ok: true,
    entry: {
      rank: raw.rank,
      arxivId,
      externalId,
      title,
      titleKey: key,
      abstract: cleanAbstract(raw.abstract),
      authors,
      authorKeys: [...new Set(authors.map(authorKey).filter(Boolean))],
      categories: [...new Set((raw.categories ?? []).map((c) => c.trim()).filter(Boolean))],
      url: raw.url?.trim() || null,
      upvotes: count(raw.upvotes),
      comments: count(raw.comments),
      publishedAt: published && !Number.isNaN(published.getTime()) ? published : null,
    },
  };
}
