/**
 * Listings built from real papers, shared by the adapter fixtures and the demo pages.
 */
import type { ArxivListing, ArxivNewPageSpec } from './arxiv-page.js';
import { type AtomPaper, type HfApiEntry, loadAtomPapers, pickHfEntries } from './real-data.js';

/** An arXiv listing for a paper known from the Hugging Face captures (which carry no arXiv subjects). */
export function listingFromHf(entry: HfApiEntry, subjects: readonly string[]): ArxivListing {
  const { paper } = entry;
  return {
    id: paper.id,
    title: paper.title,
    authors: paper.authors.map((a) => a.name),
    ...(paper.summary ? { abstract: paper.summary } : {}),
    subjects,
  };
}

export function listingFromAtom(paper: AtomPaper): ArxivListing {
  return {
    id: paper.id,
    title: paper.title,
    authors: paper.authors,
    abstract: paper.abstract,
    ...(paper.comment ? { comments: paper.comment } : {}),
    subjects: paper.categories,
  };
}

/**
 * Subjects for the Hugging Face papers on the cs.LG listing. MADE UP by topic: the HF
 * captures do not say which arXiv categories a paper has. Primary first.
 */
const HF_PAPER_SUBJECTS: Record<string, readonly string[]> = {
  '2606.13106': ['cs.LG', 'cs.CL'],
  '2606.13392': ['cs.LG', 'cs.CL'],
  '2606.13681': ['cs.LG', 'cs.AI'],
  '2606.13289': ['cs.CV', 'cs.LG'],
  '2606.13594': ['cs.CL', 'cs.LG'],
  '2606.12243': ['cs.LG', 'cs.CL'],
  '2606.08063': ['cs.CV', 'cs.LG'],
  '2606.06113': ['cs.CV', 'cs.LG'],
  '2606.10896': ['cs.LG', 'cs.DC'],
};

function hfListings(ids: readonly string[]): ArxivListing[] {
  return pickHfEntries(ids).map((entry) => {
    const subjects = HF_PAPER_SUBJECTS[entry.paper.id];
    if (!subjects) throw new Error(`no subjects assigned to ${entry.paper.id}`);
    return listingFromHf(entry, subjects);
  });
}

function atomListings(ids: readonly string[]): ArxivListing[] {
  const byId = new Map(loadAtomPapers().map((p) => [p.id, p]));
  return ids.map((id) => {
    const paper = byId.get(id);
    if (!paper) throw new Error(`no captured arXiv paper ${id}`);
    return listingFromAtom(paper);
  });
}

/**
 * `/list/cs.LG/new` for Friday 12 June 2026, the announcement of papers submitted on
 * 11 June (the five arXiv query API papers were submitted that day, as were the HF papers
 * with ids 2606.13xxx). Real titles, authors, abstracts; arXiv categories are real for
 * the arXiv API papers and made up for the HF ones; the replacements are older HF papers.
 */
export function csLgNew20260612(): ArxivNewPageSpec {
  return {
    category: 'cs.LG',
    listingDate: 'Friday, 12 June 2026',
    newSubmissions: [...atomListings(['2606.13568']), ...hfListings(['2606.13106', '2606.13392', '2606.13681'])],
    crossLists: [
      ...atomListings(['2606.13677', '2606.13591', '2606.13515', '2606.13501']),
      ...hfListings(['2606.13289', '2606.13594']),
    ],
    replacements: hfListings(['2606.12243', '2606.08063', '2606.06113', '2606.10896']),
  };
}
