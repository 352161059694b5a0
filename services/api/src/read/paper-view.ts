import { type ListedPaper, paperDetailsOf } from '@paperboy/db';
import { storedPaperLinks } from '@paperboy/pipeline';
import type { PaperView } from '../contract/responses.js';

/** A list item of /api/papers and /api/trending: the fields it always had, then the details and `links`. */
export function listedPaperView(paper: ListedPaper): PaperView {
  return {
    arxivId: paper.arxivId,
    title: paper.title,
    authors: paper.authors,
    upvotes: paper.upvotes,
    topics: paper.topics,
    sources: paper.sources,
    firstSeenAt: paper.firstSeenAt,
    lastSeenAt: paper.lastSeenAt,
    score: paper.score,
    ...paperDetailsOf(paper),
    links: storedPaperLinks(paper),
  };
}

/**
 * The CSV columns of a list: those it always had, in their order, then the details, then the links
 * that are not already columns (arrays are joined with `;` by toCsv).
 */
export const LINK_COLUMNS = ['paperUrl', 'abstractUrl', 'pdfUrl', 'huggingFaceUrl', 'discussionUrl', 'seenAt'] as const;

/** A list item as one flat CSV row (listedPaperView's, links as LINK_COLUMNS). */
export function flatPaperRow(view: PaperView): Record<string, unknown> {
  const { links, ...rest } = view;
  return {
    ...rest,
    paperUrl: links.paper,
    abstractUrl: links.abstract,
    pdfUrl: links.pdf,
    huggingFaceUrl: links.huggingFace,
    discussionUrl: links.discussion,
    seenAt: links.seenAt,
  };
}
