import type { CheerioAPI } from 'cheerio';
import type { ZodType } from 'zod';

/**
 * One entry as a listing page shows it, before any normalization.
 * Every field but `rank` is optional: the processor validates, normalizes and
 * rejects (with the raw data kept) what it cannot use.
 */
export interface RawEntry {
  /** 1-based position on the listing page, in page order. */
  rank: number;
  /** The source's own id for the item (for HF and arXiv: the arXiv id as shown, version and all). */
  externalId?: string;
  /** arXiv id as found on the page, possibly with a version (`2411.01234v2`) or old style (`hep-th/9901001`). */
  arxivId?: string;
  title?: string;
  abstract?: string;
  authors?: string[];
  /** Absolute URL of the item's page. */
  url?: string;
  upvotes?: number;
  comments?: number;
  /** ISO 8601 date-time when the source says the paper was published. */
  publishedAt?: string;
  /**
   * Listing section the entry was in: `new`, `cross-list`, `replacement` or a day heading on arXiv
   * listing pages; the announce type (`new`, `cross`, `replace`, `replace-cross`) in arXiv feeds.
   */
  section?: string;
  /** Category or subject codes the page shows for the entry (e.g. `cs.LG`). */
  categories?: string[];

  // What else the sources give (issue 13). Each optional; URLs are absolute http(s), texts capped.
  /** The arXiv primary category (`cs.LG`); also first in `categories`. */
  primaryCategory?: string;
  /** The arXiv version number the source shows (`2411.01234v2` → 2). */
  version?: number;
  /** arXiv's free-text comments: pages, figures, venue ("10 pages, 7 figures, accepted at ICLR"). */
  arxivComments?: string;
  /** arXiv journal reference ("Astrophysical Journal, 976, 181 (2024)"). */
  journalRef?: string;
  /** DOI as given (`10.1051/0004-6361/202451080`), without a resolver prefix. */
  doi?: string;
  /** License URL as the source gives it. */
  license?: string;
  /** Code repository URL (Hugging Face `githubRepo`). */
  githubRepo?: string;
  /** Stars of that repository when the source saw it. */
  githubStars?: number;
  /** Project page URL. */
  projectPage?: string;
  /** The source's short machine summary (Hugging Face `ai_summary`). */
  aiSummary?: string;
  /** The source's keywords (Hugging Face `ai_keywords`), in order. */
  aiKeywords?: string[];
  /** The organization the paper is listed under (Hugging Face organization handle). */
  organization?: string;
  /** Who submitted it to the listing (Hugging Face user name). */
  submittedBy?: string;
  /** Thumbnail image URL. */
  thumbnail?: string;
  /** Media (images, videos) URLs attached to the entry. */
  mediaUrls?: string[];
}

/** What an adapter is given: the page as fetched. Parsing helpers are lazy and cached. */
export interface Page {
  url: string;
  /** The body as text (UTF-8). A page made from bytes decodes it on first use. */
  body: string;
  /**
   * The body as fetched, when the page was made from bytes: an adapter may read what it needs
   * straight from them without decoding the whole body (hf-papers does).
   */
  bytes?: Buffer;
  contentType?: string;
  /**
   * The body loaded with cheerio (htmlparser2 backend, fast). Throws PageTooComplexError when
   * elements nest deeper than MAX_NESTING_DEPTH (the one error an adapter's extract may throw).
   */
  $(): CheerioAPI;
  /** The body parsed as JSON; throws SyntaxError when it is not JSON. */
  json(): unknown;
}

export interface ExtractResult {
  entries: RawEntry[];
  /** Human-readable notes for the run summary, e.g. `hf-papers: data-props JSON invalid, fell back to 8 article cards`. */
  warnings: string[];
  /**
   * Zero entries, and the page says that is normal (an RSS feed on a weekend): a quiet day,
   * not a broken page. Only meaningful with zero entries.
   */
  quiet?: boolean;
}

export interface SourceAdapter<Options = unknown> {
  /** Stable id, kebab-case: `hf-papers`, `hf-api`, `arxiv-list`. */
  id: string;
  description: string;
  /** Media types the adapter can read; the fetcher refuses others with a clear error. */
  accepts: Array<'text/html' | 'application/json' | 'application/xml'>;
  /** Example URLs, for `--help` and the contract test. */
  exampleUrls: string[];
  /**
   * Schema of the per-source `options` a sources file may give this adapter (the `generic`
   * adapter's selectors, say). Adapters that take none leave it out.
   */
  options?: ZodType<Options>;
  /** Pure: no I/O, no clock, no randomness. `options` has been validated with `options`. */
  extract(page: Page, options?: Options): ExtractResult;
}
