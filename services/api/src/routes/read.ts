import {
  CursorError,
  type Db,
  PAPER_DETAIL_FIELDS,
  paperDetailsOf,
  ReadRepository,
  type SourceReport,
} from '@paperboy/db';
import { normalizeArxivId, parseDayOrInstant, storedPaperLinks, type Taxonomy } from '@paperboy/pipeline';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import type {
  ErrorAnswer,
  PaperPage,
  PaperWithHistory,
  SourceList,
  SourceView,
  TopicList,
  TrendingAnswer,
} from '../contract/responses.js';
import type { AnswerCache } from '../read/cache.js';
import { flatPaperRow, LINK_COLUMNS, listedPaperView } from '../read/paper-view.js';
import { render, send, sendAnswer, wantsCsv, withoutScores } from '../read/respond.js';
import { readSchemas } from '../read/schemas.js';

const PAPER_COLUMNS = [
  'arxivId',
  'title',
  'authors',
  'upvotes',
  'topics',
  'sources',
  'firstSeenAt',
  'lastSeenAt',
  'score',
  // Appended (issue 13): scripts read the columns above by position.
  ...PAPER_DETAIL_FIELDS,
  ...LINK_COLUMNS,
];

/** The body of a 400: every problem named. */
const invalidRequest = (details: string[]): ErrorAnswer => ({ error: 'invalid request', details });

/** A 400 answer naming every problem (not cached). */
const badAnswer = (details: string[]) => ({
  status: 400,
  contentType: 'application/json; charset=utf-8',
  payload: JSON.stringify(invalidRequest(details)),
});

/** The read API: papers (filters, search, keyset pages), one paper with its history, topics, trending, sources. */
export function registerReadApi(
  app: FastifyInstance,
  deps: {
    db: Db;
    taxonomy: Taxonomy;
    perMinute: number;
    sources: () => Promise<SourceReport[]>;
    /** Rendered lists, a few seconds old at most (read/cache.ts); one paper by id is always read live. */
    cache: AnswerCache;
  },
): void {
  // One budget per client across every read route (request.ip: the socket's address unless
  // PAPERBOY_TRUST_PROXY names a proxy), counted in Redis by @fastify/rate-limit (registered in app.ts).
  const limited = {
    onRequest: app.rateLimit({
      max: deps.perMinute,
      timeWindow: 60_000,
      keyGenerator: (request) => `read:${request.ip}`,
    }),
  };
  const read = new ReadRepository(deps.db);
  const { listQuery, trendingQuery, formatQuery, noQuery } = readSchemas(deps.taxonomy);
  const issues = (error: z.ZodError) => error.issues.map((i) => `${i.path.join('.') || 'query'}: ${i.message}`);
  const bad = (reply: FastifyReply, error: z.ZodError | Error) =>
    reply.code(400).send(invalidRequest(error instanceof z.ZodError ? issues(error) : [error.message]));

  /**
   * A `source` the filter cannot match: not one papers were stored under, nor one that has crawled
   * (what /api/sources lists). Its 400 detail, or null; values the schema refuses are left to it.
   */
  async function unknownSource(value: unknown): Promise<string | null> {
    if (typeof value !== 'string' || value.length < 1 || value.length > 100 || value.includes('\0')) return null;
    if (await read.isKnownSource(value)) return null;
    const known = await read.knownSources();
    return `source: unknown source ${JSON.stringify(value)}; known: ${known.length ? known.join(', ') : 'none yet (nothing has been crawled)'}`;
  }

  app.get('/api/papers', limited, async (request, reply) => {
    const parsed = listQuery.safeParse(request.query);
    const source = (request.query as { source?: unknown }).source;
    // Every problem in one answer: an unknown source is named with the others.
    const invalid = async (details: string[]) => {
      const sourceIssue = await unknownSource(source);
      return reply.code(400).send(invalidRequest([...details, ...(sourceIssue ? [sourceIssue] : [])]));
    };
    if (!parsed.success) return invalid(issues(parsed.error));
    const { since, format: _format, ...rest } = parsed.data;
    const refused = async (details: string[]) => {
      const sourceIssue = await unknownSource(source);
      return { answer: badAnswer([...details, ...(sourceIssue ? [sourceIssue] : [])]), cache: false };
    };
    // Keyed by the validated query (and CSV or not): a few seconds old at most, see read/cache.ts.
    const answer = await deps.cache.get(`papers:${wantsCsv(request)}:${JSON.stringify(parsed.data)}`, async () => {
      try {
        const listed = await read.listPapers({ ...rest, ...(since ? { since: parseDayOrInstant(since)! } : {}) });
        // An unknown source matches nothing: only an empty page needs the look-up.
        if (listed.papers.length === 0 && (await unknownSource(source))) return refused([]);
        const page: PaperPage = { papers: listed.papers.map(listedPaperView), nextCursor: listed.nextCursor };
        const rows = page.papers.map(flatPaperRow);
        return { answer: render(request, page, { rows, columns: PAPER_COLUMNS }, withoutScores(page)), cache: true };
      } catch (error) {
        if (error instanceof CursorError) return refused([error.message]);
        throw error;
      }
    });
    return sendAnswer(request, reply, answer);
  });

  app.get('/api/papers/*', limited, async (request, reply) => {
    const parsed = noQuery.safeParse(request.query);
    if (!parsed.success) return bad(reply, parsed.error);
    // arXiv ids may hold a slash (hep-th/9901001): the rest of the path is the id.
    // Fastify has decoded the path once; a second decoding would turn %2525 into %25 (and %25 into a throw).
    // Any form the pipeline reads names the paper (2611.20001v2, arXiv:2611.20001): papers are kept
    // by the id without version, as normalizeArxivId gives it.
    const asked = (request.params as { '*': string })['*'];
    const arxivId = normalizeArxivId(asked);
    if (!arxivId) return bad(reply, new Error(`arxivId: ${JSON.stringify(asked)} is not an arXiv id`));
    const paper = await read.paperWithHistory(arxivId);
    if (!paper) return reply.code(404).send({ error: `no paper ${arxivId}` } satisfies ErrorAnswer);
    // The fields it always had (the stored link is in `links`), then the details, versions and links.
    const { url: _url, sightings, versions, ...fields } = paper;
    const { title, abstract, authors, upvotes, topics, sources, firstSeenAt, lastSeenAt } = fields;
    const view = {
      arxivId: paper.arxivId,
      title,
      abstract,
      authors,
      upvotes,
      topics,
      sources,
      firstSeenAt,
      lastSeenAt,
    };
    const body: PaperWithHistory = {
      ...view,
      sightings,
      ...paperDetailsOf(fields),
      versions,
      links: storedPaperLinks(paper),
    };
    return send(request, reply, body);
  });

  app.get('/api/topics', limited, async (request, reply) => {
    const parsed = formatQuery.safeParse(request.query);
    if (!parsed.success) return bad(reply, parsed.error);
    const answer = await deps.cache.get(`topics:${wantsCsv(request)}`, async () => {
      const counts = new Map((await read.topicCounts()).map((c) => [c.id, c.papers]));
      const topics: TopicList['topics'] = deps.taxonomy.topics.map((t) => ({
        id: t.id,
        label: t.label,
        description: t.description,
        papers: counts.get(t.id) ?? 0,
      }));
      return {
        answer: render(request, { topics } satisfies TopicList, {
          rows: topics,
          columns: ['id', 'label', 'description', 'papers'],
        }),
        cache: true,
      };
    });
    return sendAnswer(request, reply, answer);
  });

  app.get('/api/trending', limited, async (request, reply) => {
    const parsed = trendingQuery.safeParse(request.query);
    if (!parsed.success) return bad(reply, parsed.error);
    const { window, limit } = parsed.data;
    const answer = await deps.cache.get(`trending:${wantsCsv(request)}:${window}:${limit}`, async () => {
      const since = new Date(Date.now() - (window === '24h' ? 86_400_000 : 7 * 86_400_000));
      const listed = await read.listPapers({ sort: 'trending', since, limit });
      const page = { ...listed, papers: listed.papers.map(listedPaperView) };
      const rows = page.papers.map(flatPaperRow);
      const body: TrendingAnswer = { window, papers: page.papers };
      return {
        answer: render(request, body, { rows, columns: PAPER_COLUMNS }, withoutScores({ window, ...page })),
        cache: true,
      };
    });
    return sendAnswer(request, reply, answer);
  });

  app.get('/api/sources', limited, async (request, reply) => {
    const parsed = formatQuery.safeParse(request.query);
    if (!parsed.success) return bad(reply, parsed.error);
    // The listing of `paperboy sources` and the dashboard page: the sources file's, then the others with crawls.
    const answer = await deps.cache.get(`sources:${wantsCsv(request)}`, async () => {
      const sources = (await deps.sources()).map(sourceRow);
      const rows = sources as unknown as Array<Record<string, unknown>>;
      return {
        answer: render(request, { sources } satisfies SourceList, {
          rows,
          columns: Object.keys(sources[0] ?? { source: '' }),
        }),
        cache: true,
      };
    });
    return sendAnswer(request, reply, answer);
  });
}

/** A source as /api/sources shows it: the fields it always had, `configured` (in the sources file), then its health. */
const sourceRow = (r: SourceReport): SourceView => ({
  source: r.id,
  lastCrawlAt: r.lastCrawlAt,
  lastOutcome: r.lastOutcome,
  lastStatus: r.lastStatus,
  lastEntries: r.lastEntries,
  lastSuccessAt: r.lastSuccessAt,
  lastSuspect: r.lastSuspect,
  lastSuspectReason: r.lastSuspectReason,
  lastError: r.lastError,
  crawls24h: r.crawls24h,
  failures24h: r.failures24h,
  new24h: r.new24h,
  unstoredBatches: r.unstoredBatches,
  configured: r.configured,
  health: r.health,
  reason: r.reason,
});
