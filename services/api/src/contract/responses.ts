import { z } from 'zod';

/**
 * Every JSON answer of the API, as zod schemas: the one definition the handlers' answers are typed
 * with (`z.infer`, so a handler sending what a schema does not say fails to compile) and the
 * OpenAPI document's `responses` and `components.schemas` are generated from (routes/openapi.ts).
 * Objects are not strict: a field may be added without a new version; one is never removed or retyped.
 */

const isoTime = z.string().datetime({ offset: true });
const text = (description: string) => z.string().nullable().describe(description);
const texts = (description: string) => z.array(z.string()).describe(description);
const count = (description: string) => z.number().int().nullable().describe(description);
const url = (description: string) => z.string().nullable().describe(description);

/** What the sources give beyond the listing (null, or [] for lists, when none did): PAPER_DETAIL_FIELDS, in order. */
const paperDetails = {
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

export const paperLinksSchema = z
  .object({
    paper: url("the paper's own link: the arXiv abstract page, else (no arXiv id) its stored link"),
    abstract: url('https://arxiv.org/abs/<id>'),
    pdf: url('https://arxiv.org/pdf/<id>'),
    huggingFace: url('https://huggingface.co/papers/<id>'),
    discussion: url('https://huggingface.co/papers/<id>#community'),
    code: url('code repository'),
    codeStars: count("the code repository's stars"),
    projectPage: url('project page'),
    seenAt: url('the listing page it was seen on, when that is none of the above'),
  })
  .describe(
    "The paper's canonical links (one definition for the API, exports, digests and the dashboard): arXiv abstract and PDF " +
      'from the id without version, the Hugging Face page and discussion when the paper is on Hugging Face, code and project ' +
      'page. `seenAt` is the listing page it was seen on when that is none of them: kept, never the paper’s link.',
  );

const headline = {
  arxivId: text('arXiv id without version (null for papers without one)'),
  title: z.string(),
  authors: texts('authors as the source lists them, in order'),
  upvotes: count('latest upvotes'),
  topics: texts('topic ids, best first (manual labels replace computed topics)'),
  sources: texts('source ids the paper was stored under'),
  firstSeenAt: isoTime,
  lastSeenAt: isoTime,
};

export const paperSchema = z
  .object({
    ...headline,
    score: z.number().describe('trending score (decays with time)'),
    ...paperDetails,
    links: paperLinksSchema,
  })
  .describe('A paper of a list (/api/papers, /api/trending). CSV: these columns in order, links flattened.');

export const sightingSchema = z.object({
  source: z.string(),
  listing: z.string(),
  seenAt: isoTime,
  rank: count('position on the listing'),
  upvotes: count('upvotes then'),
  comments: count('comments then'),
  stars: count('code repository stars then'),
});

export const paperVersionSchema = z.object({
  version: z.number().int(),
  firstSeenAt: isoTime,
  source: z.string().describe('the source that first showed it'),
});

export const paperWithHistorySchema = z
  .object({
    ...headline,
    abstract: text('abstract'),
    sightings: z
      .array(sightingSchema)
      .describe('every sighting, oldest first: the upvotes, comments and stars time series'),
    ...paperDetails,
    versions: z.array(paperVersionSchema).describe('each arXiv version seen, oldest first'),
    links: paperLinksSchema,
  })
  .describe('One paper with its sighting history and versions');

export const paperPageSchema = z.object({
  papers: z.array(paperSchema),
  nextCursor: z.string().nullable().describe('pass as `cursor` for the next page; null on the last page'),
});

export const trendingSchema = z.object({
  window: z.enum(['24h', '7d']),
  papers: z.array(paperSchema).describe('best first'),
});

export const topicSchema = z.object({
  id: z.string(),
  label: z.string(),
  description: z.string(),
  papers: z.number().int().describe('papers whose best topic it is'),
});
export const topicListSchema = z.object({ topics: z.array(topicSchema) });

export const sourceSchema = z
  .object({
    source: z.string().describe('source id'),
    lastCrawlAt: isoTime.nullable(),
    lastOutcome: z.string().nullable(),
    lastStatus: count('HTTP status of the last crawl'),
    lastEntries: count('entries the last crawl read'),
    lastSuccessAt: isoTime.nullable(),
    lastSuspect: z.boolean().describe('whether the last crawl looked wrong'),
    lastSuspectReason: z.string().nullable(),
    lastError: z.string().nullable(),
    crawls24h: z.number().int(),
    failures24h: z.number().int(),
    new24h: z.number().int().describe('papers first seen in the last 24 hours'),
    unstoredBatches: z
      .number()
      .int()
      .describe('batches enqueued more than the grace period ago (in the last 7 days) and not stored'),
    configured: z.boolean().describe('in the sources file (false: only crawls recorded under this id)'),
    health: z.enum(['never crawled', 'suspect', 'failing', 'quiet', 'unchanged', 'retrying', 'ok']),
    reason: z.string().nullable().describe('why, where there is a why'),
  })
  .describe('A source and its health, as `paperboy sources` and the dashboard page show it');
export const sourceListSchema = z.object({ sources: z.array(sourceSchema) });

export const subscribeAcceptedSchema = z
  .object({ status: z.literal('confirmation-sent-if-possible') })
  .describe('Accepted: the answer never says whether the address was known');

export const preferencesSchema = z.object({
  topics: z.array(z.string()).describe('topic ids; empty: every topic'),
  frequency: z.enum(['daily', 'weekly']),
  sendHour: z.number().int().describe("hour of the day (0–23) in the subscriber's time zone"),
  timeZone: z.string().describe('IANA time zone'),
  minUpvotes: z.number().int(),
  maxPapers: z.number().int(),
  followedAuthors: z.array(z.string()),
  keywords: z.array(z.string()),
  negativeKeywords: z.array(z.string()),
});

const learnedTermSchema = z.object({
  term: z.string().describe('the word or two-word phrase as the papers spell it (lower-cased)'),
  weight: z.number(),
});
export const learnedSchema = z
  .object({
    more: z.number().int().describe('"more like this" words given'),
    less: z.number().int().describe('"less like this" words given'),
    latest: z
      .array(
        z.object({
          paperId: z.number().int(),
          title: z.string(),
          signal: z.union([z.literal(1), z.literal(-1)]),
          givenAt: isoTime,
        }),
      )
      .describe('the latest 20 words, newest first'),
    termsFor: z.array(learnedTermSchema),
    termsAgainst: z.array(learnedTermSchema),
    model: z.boolean().describe('whether a model is stored'),
  })
  .describe('What paperboy learned about the subscriber from their feedback (terms are approximate)');

export const learnedClearedSchema = z.object({
  cleared: z.object({ feedback: z.number().int(), models: z.number().int() }).describe('the rows deleted'),
});

export const healthSchema = z.object({ status: z.literal('ok') });

const checkOutcome = z
  .string()
  .describe('`ok`, or what went wrong (`timeout after 2000 ms`, an error message, `1 pending: …`)');
export const readinessSchema = z.object({
  status: z.enum(['ok', 'unready']),
  checks: z.object({
    postgres: checkOutcome,
    redis: checkOutcome,
    migrations: checkOutcome,
    replica: checkOutcome.optional().describe('only when a replica is configured'),
  }),
});

/**
 * Every error answer: `error` says what is wrong; `details` names each problem of an invalid request;
 * `requestId` (5xx) finds the log line. Errors Fastify or a plugin raises (a 429, an unknown route,
 * an empty or oversized JSON body) carry `statusCode` and `message` as well, and Fastify's `code`
 * (`FST_ERR_CTP_EMPTY_JSON_BODY`, `FST_ERR_CTP_BODY_TOO_LARGE`…) when it has one.
 */
export const errorSchema = z.object({
  error: z.string(),
  details: z.array(z.string()).optional(),
  requestId: z.string().optional(),
  statusCode: z.number().int().optional(),
  message: z.string().optional(),
  code: z.string().optional(),
});

/** The schemas named in `components.schemas` (referenced, not repeated, wherever a response uses them). */
export const responseComponents = {
  Paper: paperSchema,
  PaperLinks: paperLinksSchema,
  PaperWithHistory: paperWithHistorySchema,
  Sighting: sightingSchema,
  PaperVersion: paperVersionSchema,
  PaperPage: paperPageSchema,
  Trending: trendingSchema,
  Topic: topicSchema,
  TopicList: topicListSchema,
  Source: sourceSchema,
  SourceList: sourceListSchema,
  SubscribeAccepted: subscribeAcceptedSchema,
  Preferences: preferencesSchema,
  Learned: learnedSchema,
  LearnedCleared: learnedClearedSchema,
  Health: healthSchema,
  Readiness: readinessSchema,
  Error: errorSchema,
} as const;

export type PaperView = z.infer<typeof paperSchema>;
export type PaperWithHistory = z.infer<typeof paperWithHistorySchema>;
export type PaperPage = z.infer<typeof paperPageSchema>;
export type TrendingAnswer = z.infer<typeof trendingSchema>;
export type TopicList = z.infer<typeof topicListSchema>;
export type SourceView = z.infer<typeof sourceSchema>;
export type SourceList = z.infer<typeof sourceListSchema>;
export type SubscribeAccepted = z.infer<typeof subscribeAcceptedSchema>;
export type PreferencesAnswer = z.infer<typeof preferencesSchema>;
export type LearnedAnswer = z.infer<typeof learnedSchema>;
export type LearnedCleared = z.infer<typeof learnedClearedSchema>;
export type HealthAnswer = z.infer<typeof healthSchema>;
export type ReadinessAnswer = z.infer<typeof readinessSchema>;
export type ErrorAnswer = z.infer<typeof errorSchema>;
