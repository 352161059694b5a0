/** arXiv identifiers as listing pages and feeds show them. */

// New style `2411.01234` (4 digits before 2015), optional version; old style `hep-th/9901001`, `math.GT/0309136`.
const ARXIV_ID = /^(?:\d{4}\.\d{4,5}|[a-z-]+(?:\.[A-Z]{2})?\/\d{7})(?:v\d+)?$/;

/** True for an arXiv id, new or old style, with or without a version. */
export function isArxivId(text: string): boolean {
  return ARXIV_ID.test(text);
}

/** The id in an abs link (`/abs/2411.01234v2`, `https://arxiv.org/abs/hep-th/9901001`), or undefined. */
export function arxivIdFromAbsUrl(href: string | null | undefined): string | undefined {
  if (!href) return undefined;
  let path: string;
  try {
    path = decodeURIComponent(new URL(href.trim(), 'https://arxiv.org/').pathname);
  } catch {
    return undefined;
  }
  const id = /\/abs\/(.+?)\/?$/.exec(path)?.[1];
  return id && isArxivId(id) ? id : undefined;
}

/** The id without its version: the paper's identity. */
export function withoutVersion(id: string): string {
  return id.replace(/v\d+$/, '');
}
