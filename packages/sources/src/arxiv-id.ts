/** arXiv identifiers as listing pages and feeds show them. */
import { TEXT_LIMITS } from './text.js';

// New style `2411.01234` (4 digits before 2015), optional version; old style `hep-th/9901001`, `math.GT/0309136`.
const ARXIV_ID = /^(?:\d{4}\.\d{4,5}|[a-z-]+(?:\.[A-Z]{2})?\/\d{7})(?:v\d+)?$/;

/** True for an arXiv id, new or old style, with or without a version. */
export function isArxivId(text: string): boolean {
  return ARXIV_ID.test(text);
}

/** The id in an abs link (`/abs/2411.01234v2`, `https://arxiv.org/abs/hep-th/9901001`), or undefined. */
export function arxivIdFromAbsUrl(href: string | null | undefined): string | undefined {
  if (!href || href.length > TEXT_LIMITS.url) return undefined;
  let path: string;
  try {
    path = decodeURIComponent(new URL(href.trim(), 'https://arxiv.org/').pathname);
  } catch {
    return undefined;
  }
  const id = idAfterAbs(path);
  return id && isArxivId(id) ? id : undefined;
}

/**
 * What follows the first `/abs/` that has no line break after it, less one trailing slash
 * (what `/\/abs\/(.+?)\/?$/` matched). Found with indexOf: that pattern retried its lazy scan
 * from every `/abs/`, quadratic on "/abs//abs/…%0A".
 */
function idAfterAbs(path: string): string | undefined {
  let from = 0;
  for (let i = path.length - 1; i >= 0; i--) {
    if (LINE_TERMINATORS.has(path[i]!)) {
      from = i + 1;
      break;
    }
  }
  const at = path.indexOf('/abs/', from);
  if (at === -1) return undefined;
  const rest = path.slice(at + '/abs/'.length);
  if (rest === '') return undefined;
  return rest.length > 1 && rest.endsWith('/') ? rest.slice(0, -1) : rest;
}

// What `.` in a regular expression does not match.
const LINE_TERMINATORS = new Set(['\n', '\r', '\u2028', '\u2029']);

/** The id without its version: the paper's identity. */
export function withoutVersion(id: string): string {
  return id.replace(/v\d+$/, '');
}

/** The version number of a versioned id (`2411.01234v2` → 2), or undefined when it has none. */
export function versionOf(id: string): number | undefined {
  const digits = /v(\d{1,6})$/.exec(id)?.[1];
  const version = digits === undefined ? 0 : Number(digits);
  return version >= 1 ? version : undefined;
}

/** A DOI (`10.1234/abc`) in a DOI or resolver URL (`https://doi.org/10.1234/abc`), or undefined. */
export function doiFrom(text: string | undefined): string | undefined {
  if (!text || text.length > TEXT_LIMITS.label) return undefined;
  const doi = /\b(10\.\d{4,9}\/\S+)/.exec(text.trim())?.[1];
  if (doi === undefined) return undefined;
  // Less trailing punctuation of the sentence it sat in ("DOI: 10.1/x;").
  let end = doi.length;
  while (end > 0 && '.,;'.includes(doi[end - 1]!)) end--;
  return end > 0 ? doi.slice(0, end) : undefined;
}
