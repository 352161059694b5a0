/** OpenAPI schemas of the papers the read API answers (list items and one paper with its history). */

const text = (description: string) => ({ type: 'string', nullable: true, description });
const texts = (description: string) => ({ type: 'array', items: { type: 'string' }, description });
const count = (description: string) => ({ type: 'integer', nullable: true, description });
const url = (description: string) => ({ type: 'string', format: 'uri', nullable: true, description });

/** What the sources give beyond the listing (null, or [] for lists, when none did). */
const details = {
  codeUrl: url('code repository (Hugging Face githubRepo)'),
  codeStars: count("the code repository's stars, latest seen"),
  projectPage: url('project page'),
  aiSummary: text("the source's short summary (Hugging Face ai_summary)"),
  aiKeywords: texts("the source's keywords (Hugging Face ai_keywords)"),
  organization: text('organization that submitted the paper on Hugging Face'),
  submittedBy: text('who submitted it on Hugging Face'),
  thumbnail: url('thumbnail image'),
  mediaUrls: texts('media (images, videos)'),
  primaryCategory: text('arXiv primary category, e.g. cs.CL'),
  arxivComments: text('arXiv comments (pages, figures, venue)'),
  journalRef: text('journal reference'),
  doi: text('DOI'),
  license: text('license URL'),
  latestVersion: count('the highest arXiv version seen'),
};

const links = {
  type: 'object',
  description:
    "The paper's canonical links (one definition for the API, exports, digests and the dashboard): arXiv abstract and PDF " +
    'from the id without version, the Hugging Face page and discussion when the paper is on Hugging Face, code and project ' +
    'page. `seenAt` is the listing page it was seen on when that is none of them: kept, never the paper’s link.',
  properties: {
    paper: url("the paper's own link: the arXiv abstract page, else (no arXiv id) its stored link"),
    abstract: url('https://arxiv.org/abs/<id>'),
    pdf: url('https://arxiv.org/pdf/<id>'),
    huggingFace: url('https://huggingface.co/papers/<id>'),
    discussion: url('https://huggingface.co/papers/<id>#community'),
    code: url('code repository'),
    codeStars: count("the code repository's stars"),
    projectPage: url('project page'),
    seenAt: url('the listing page it was seen on, when that is none of the above'),
  },
};

const headline = {
  arxivId: text('arXiv id without version (null for papers without one)'),
  title: { type: 'string' },
  authors: texts('authors as the source lists them, in order'),
  upvotes: count('latest upvotes'),
  topics: texts('topic ids, best first (manual labels replace computed topics)'),
  sources: texts('source ids the paper was stored under'),
  firstSeenAt: { type: 'string', format: 'date-time' },
  lastSeenAt: { type: 'string', format: 'date-time' },
};

/** components.schemas of the OpenAPI document. */
export const paperSchemas = {
  Paper: {
    type: 'object',
    description: 'A paper of a list (/api/papers, /api/trending). CSV: these columns in order, links flattened.',
    properties: { ...headline, score: { type: 'number' }, ...details, links },
  },
  PaperWithHistory: {
    type: 'object',
    properties: {
      ...headline,
      abstract: text('abstract'),
      sightings: {
        type: 'array',
        description: 'every sighting, oldest first: the upvotes, comments and stars time series',
        items: {
          type: 'object',
          properties: {
            source: { type: 'string' },
            listing: { type: 'string' },
            seenAt: { type: 'string', format: 'date-time' },
            rank: count('position on the listing'),
            upvotes: count('upvotes then'),
            comments: count('comments then'),
            stars: count('code repository stars then'),
          },
        },
      },
      ...details,
      versions: {
        type: 'array',
        description: 'each arXiv version seen, oldest first',
        items: {
          type: 'object',
          properties: {
            version: { type: 'integer' },
            firstSeenAt: { type: 'string', format: 'date-time' },
            source: { type: 'string', description: 'the source that first showed it' },
          },
        },
      },
      links,
    },
  },
};
