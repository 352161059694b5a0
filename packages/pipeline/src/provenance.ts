import type { NormalizedEntry } from './entry.js';

/**
 * Where a paper's link and headline counts may come from. A listing paperboy is configured to read
 * (the `generic` adapter) is written by a stranger: it may list a real arXiv paper with a link of its
 * own and any count. So links and counts are ranked by origin, and a lower origin never replaces a
 * higher one (documented in packages/pipeline/README.md):
 *
 *   link:   canonical (an arXiv or Hugging Face adapter's link on arxiv.org / huggingface.co)
 *         ▸ arxiv (the abs page built from the arXiv id)  ▸ listing (any other listing's own link)
 *   counts: canonical (a Hugging Face adapter) ▸ listing, and a listing's counts only for papers
 *           without an arXiv id (for those no canonical source exists).
 *
 * Sightings keep every source's counts as shown; this decides only the paper's headline fields.
 */

/** Adapters whose links are canonical, when they point at their own site. */
const CANONICAL_LINK_ADAPTERS: ReadonlySet<string> = new Set(['hf-papers', 'hf-api', 'arxiv-list', 'arxiv-rss']);
/** Adapters whose upvotes and comments are the headline counts. */
const CANONICAL_COUNT_ADAPTERS: ReadonlySet<string> = new Set(['hf-papers', 'hf-api']);
const CANONICAL_HOSTS: ReadonlySet<string> = new Set([
  'arxiv.org',
  'www.arxiv.org',
  'export.arxiv.org',
  'huggingface.co',
]);

export type UrlOrigin = 'canonical' | 'arxiv' | 'listing';

export interface EntryLink {
  url: string | null;
  origin: UrlOrigin | null;
}

export function arxivAbsUrl(arxivId: string): string {
  return `https://arxiv.org/abs/${arxivId}`;
}

function onCanonicalHost(url: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' && CANONICAL_HOSTS.has(parsed.hostname);
  } catch {
    return false;
  }
}

/** The link an entry offers for its paper, and its origin. */
export function entryLink(entry: Pick<NormalizedEntry, 'url' | 'arxivId'>, adapter: string): EntryLink {
  if (entry.url && CANONICAL_LINK_ADAPTERS.has(adapter) && onCanonicalHost(entry.url))
    return { url: entry.url, origin: 'canonical' };
  if (entry.arxivId) return { url: arxivAbsUrl(entry.arxivId), origin: 'arxiv' };
  return entry.url ? { url: entry.url, origin: 'listing' } : { url: null, origin: null };
}

/** Whether this adapter's counts are canonical (else they count only for papers without an arXiv id). */
export function countsAreCanonical(adapter: string): boolean {
  return CANONICAL_COUNT_ADAPTERS.has(adapter);
}

/**
 * Whether this adapter's details (code, stars, summary, categories, journal reference, …; issue 13)
 * are the paper's current values: the Hugging Face and arXiv adapters'. Another listing's details
 * count only for papers without an arXiv id, like its counts; paper_facts keeps every source's anyway.
 */
export function detailsAreCanonical(adapter: string): boolean {
  return CANONICAL_LINK_ADAPTERS.has(adapter);
}
