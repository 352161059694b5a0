import { normalizeArxivId } from './normalize.js';

/** What a paper's links are made from: its stored fields (any may be missing). */
export interface PaperLinkInput {
  /** The arXiv id, with or without version: links use the id without it. */
  arxivId?: string | null;
  /** The stored link (`papers.url`): where the paper was seen when it has no arXiv id. */
  url?: string | null;
  /** Code repository (`papers.code_url`). */
  codeUrl?: string | null;
  /** Code repository stars (`papers.code_stars`). */
  codeStars?: number | null;
  /** Project page (`papers.project_page`). */
  projectPage?: string | null;
  /**
   * Whether Hugging Face has a page for the paper (its pages exist for the papers its community lists,
   * not for every id): the caller knows, e.g. a Hugging Face source saw it. Unset: whether the stored
   * link is on huggingface.co.
   */
  onHuggingFace?: boolean;
}

/** A paper's canonical links; null where there is none. */
export interface PaperLinks {
  /** The paper's own link: the arXiv abstract page, else (no arXiv id) the stored link. */
  paper: string | null;
  /** `https://arxiv.org/abs/<id>` (the id without version). */
  abstract: string | null;
  /** `https://arxiv.org/pdf/<id>`. */
  pdf: string | null;
  /** `https://huggingface.co/papers/<id>`. */
  huggingFace: string | null;
  /** `https://huggingface.co/papers/<id>#community`: the discussion. */
  discussion: string | null;
  code: string | null;
  codeStars: number | null;
  projectPage: string | null;
  /**
   * The stored link when it is none of the above (a listing's own page): where the paper was seen,
   * kept, but never the paper's link when a canonical one exists.
   */
  seenAt: string | null;
}

/** An absolute http(s) URL as the URL parser writes it, or null. */
function webUrl(value: string | null | undefined): string | null {
  if (!value) return null;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : null;
  } catch {
    return null;
  }
}

const NEW_STYLE_ID = /^\d{4}\.\d{4,5}$/;

function onHost(url: string | null, host: string): boolean {
  if (url === null) return false;
  const { hostname } = new URL(url);
  return hostname === host || hostname === `www.${host}`;
}

/**
 * A paper's links, one definition for the digest, the read API and exports: arXiv abstract and PDF
 * from the id without version, the Hugging Face page and its discussion (new-style ids on Hugging Face),
 * code and project page (http(s) only). The listing URL a paper was seen on is `seenAt`, never `paper`
 * when a canonical link exists.
 */
export function paperLinks(input: PaperLinkInput): PaperLinks {
  const id = normalizeArxivId(input.arxivId ?? null);
  const stored = webUrl(input.url);
  const abstract = id ? `https://arxiv.org/abs/${id}` : null;
  const pdf = id ? `https://arxiv.org/pdf/${id}` : null;
  const onHuggingFace = input.onHuggingFace ?? onHost(stored, 'huggingface.co');
  const huggingFace = id && NEW_STYLE_ID.test(id) && onHuggingFace ? `https://huggingface.co/papers/${id}` : null;
  const discussion = huggingFace ? `${huggingFace}#community` : null;
  const code = webUrl(input.codeUrl);
  const canonical = new Set([abstract, pdf, huggingFace, discussion].filter((u) => u !== null));
  // The stored link is where the paper was seen unless it is one of its canonical pages (an abs link
  // with a version or a trailing slash is still arXiv's page of the same paper).
  const storedIsCanonical =
    stored !== null &&
    (canonical.has(stored) ||
      (id !== null && onHost(stored, 'arxiv.org') && normalizeArxivId(stored) === id) ||
      (huggingFace !== null && stored.split('#')[0] === huggingFace));
  const seenAt = stored !== null && !storedIsCanonical ? stored : null;
  return {
    paper: abstract ?? stored,
    abstract,
    pdf,
    huggingFace,
    discussion,
    code,
    codeStars: code !== null && typeof input.codeStars === 'number' ? input.codeStars : null,
    projectPage: webUrl(input.projectPage),
    seenAt,
  };
}

/** A stored paper's fields that its links are made from (the read API's, the exports' and the dashboard's rows). */
export interface StoredPaperLinkFields {
  arxivId: string | null;
  url: string | null;
  codeUrl: string | null;
  codeStars: number | null;
  projectPage: string | null;
  aiSummary: string | null;
  submittedBy: string | null;
}

/**
 * paperLinks of a stored paper: Hugging Face has a page for it when its stored link is there or it has
 * what only Hugging Face gives (a summary, a submitter); else no Hugging Face links.
 */
export function storedPaperLinks(paper: StoredPaperLinkFields): PaperLinks {
  return paperLinks({
    arxivId: paper.arxivId,
    url: paper.url,
    codeUrl: paper.codeUrl,
    codeStars: paper.codeStars,
    projectPage: paper.projectPage,
    ...(paper.aiSummary !== null || paper.submittedBy !== null ? { onHuggingFace: true } : {}),
  });
}
