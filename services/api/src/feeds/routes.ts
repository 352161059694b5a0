import { type Db, FeedRepository, type PaperFilter, ReadRepository } from '@paperboy/db';
import type { Taxonomy } from '@paperboy/pipeline';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { ErrorAnswer } from '../contract/responses.js';
import type { AnswerCache, CachedAnswer } from '../read/cache.js';
import { readSchemas } from '../read/schemas.js';
import type { SubscriptionService } from '../subscriptions/service.js';
import { feedItem } from './items.js';
import type { PersonalPick } from './private-feed.js';
import { FEED_FORMATS, type FeedFormat, type FeedMeta } from './render.js';
import { ContentClock, renderedFeed, sendFeed } from './respond.js';

/** Items per feed: the topic feed's 50 trending papers, and as many for a search or a reader's own. */
export const FEED_ITEMS = 50;
/** How long a feed reader may keep a feed before asking again (Cache-Control max-age, RSS ttl). */
export const FEED_MAX_AGE_MINUTES = 5;

/** The query schemas of the feeds: they validate requests and describe the routes in /api/openapi.json. */
export function feedSchemas(taxonomy: Taxonomy) {
  const { listQuery } = readSchemas(taxonomy);
  // The read API's q, bounded the same way (1–200 characters, no NUL), but required.
  const searchQuery = z
    .object({
      q: listQuery.shape.q.unwrap().describe('search text (web-search syntax, as /api/papers?q=): 1–200 characters'),
      sort: z.enum(['new', 'trending']).default('new').describe('new (default): newest first; trending: best first'),
    })
    .strict();
  const privateQuery = z.object({ token: z.string().min(1).max(1000).describe('the signed feed link') }).strict();
  const topicQuery = z.object({}).strict();
  return { searchQuery, privateQuery, topicQuery };
}

export interface FeedDeps {
  /** Where the lists and items are read (the read pool: its statement timeout applies). */
  db: Db;
  taxonomy: Taxonomy;
  /** PAPERBOY_PUBLIC_URL, without a trailing slash: the feeds' self and item links. */
  publicUrl: string;
  /** Requests per minute per client across the feeds (the read API's budget, counted apart). */
  perMinute: number;
  cache: AnswerCache;
  /** The one check of a signed link (the subscription service's). */
  links: Pick<SubscriptionService, 'checkLink' | 'feedbackLinks'>;
  /** A reader's personal ranking, best first (private-feed.ts: personalRanking). */
  personal: (subscriberId: number, limit: number) => Promise<PersonalPick[]>;
}

/**
 * RSS 2.0, Atom and JSON Feed 1.1 of each topic's trending papers, of a search, and of a
 * subscriber's personal ranking (a signed link); GET and HEAD, with ETag and Last-Modified.
 */
export function registerFeedRoutes(app: FastifyInstance, deps: FeedDeps): void {
  const limited = {
    onRequest: app.rateLimit({
      max: deps.perMinute,
      timeWindow: 60_000,
      keyGenerator: (request) => `feeds:${request.ip}`,
    }),
  };
  const read = new ReadRepository(deps.db);
  const feeds = new FeedRepository(deps.db);
  const { searchQuery, privateQuery, topicQuery } = feedSchemas(deps.taxonomy);
  const topics = new Map(deps.taxonomy.topics.map((t) => [t.id, t.label]));
  const host = new URL(deps.publicUrl).hostname;
  const maxAgeSeconds = FEED_MAX_AGE_MINUTES * 60;
  const base = deps.publicUrl;
  const clock = new ContentClock();

  const notFound = (reply: FastifyReply) =>
    reply
      .code(404)
      .header('cache-control', 'no-store')
      .send({ error: 'not found' } satisfies ErrorAnswer);
  const bad = (reply: FastifyReply, error: z.ZodError) =>
    reply.code(400).send({
      error: 'invalid request',
      details: error.issues.map((i) => `${i.path.join('.') || 'query'}: ${i.message}`),
    } satisfies ErrorAnswer);

  /**
   * The items of papers listed by id, in that order, each with its reason when the list gives one,
   * and with the topics the list gives (a reader's, as their digest shows them) instead of all.
   */
  async function itemsOf(
    picks: ReadonlyArray<{ id: number; why?: string | null; topics?: string[] }>,
    feedback?: ReadonlyMap<number, { moreUrl: string; lessUrl: string }>,
  ) {
    const byId = new Map(picks.map((p) => [p.id, p]));
    const papers = await feeds.feedPapersByIds(picks.map((p) => p.id));
    return papers.map((paper) => {
      const pick = byId.get(paper.id);
      return feedItem(pick?.topics ? { ...paper, topics: pick.topics } : paper, {
        host,
        why: pick?.why ?? null,
        feedback: feedback?.get(paper.id) ?? null,
      });
    });
  }

  /** A feed of a read API listing (its search bounds and time limit apply), rendered once per few seconds. */
  function listedFeed(key: string, format: FeedFormat, meta: FeedMeta, filter: PaperFilter): Promise<CachedAnswer> {
    return deps.cache.get(key, async () => {
      const listed = await read.listPapers(filter);
      return { answer: renderedFeed(format, meta, await itemsOf(listed.papers), { key, clock }), cache: true };
    });
  }

  app.get('/feeds/topics/:file', limited, async (request, reply) => {
    const match = /^(.+)\.(rss|atom|json)$/.exec((request.params as { file: string }).file);
    const topic = match?.[1];
    const label = topic === undefined ? undefined : topics.get(topic);
    if (!match || label === undefined) return notFound(reply);
    const parsed = topicQuery.safeParse(request.query);
    if (!parsed.success) return bad(reply, parsed.error);
    const format = match[2] as FeedFormat;
    const meta: FeedMeta = {
      id: `tag:${host},2026:feeds/topics/${topic}`,
      title: `paperboy: trending in ${label}`,
      description: `The ${FEED_ITEMS} papers trending most in ${label}, as paperboy ranks them.`,
      selfUrl: `${base}/feeds/topics/${topic}.${format}`,
      homeUrl: `${base}/subscribe`,
      ttlMinutes: FEED_MAX_AGE_MINUTES,
    };
    const answer = await listedFeed(`feed:topic:${topic}:${format}`, format, meta, {
      sort: 'trending',
      topic,
      limit: FEED_ITEMS,
    });
    return sendFeed(request, reply, answer, { private: false, maxAgeSeconds });
  });

  for (const format of FEED_FORMATS) {
    app.get(`/feeds/search.${format}`, limited, async (request, reply) => {
      const parsed = searchQuery.safeParse(request.query);
      if (!parsed.success) return bad(reply, parsed.error);
      const { q, sort } = parsed.data;
      const query = `q=${encodeURIComponent(q)}${sort === 'new' ? '' : `&sort=${sort}`}`;
      const meta: FeedMeta = {
        id: `tag:${host},2026:feeds/search?${query}`,
        title: `paperboy: papers matching “${q}”`,
        description: `The ${sort === 'new' ? 'newest' : 'trending'} papers whose title or abstract matches “${q}”.`,
        selfUrl: `${base}/feeds/search.${format}?${query}`,
        homeUrl: `${base}/subscribe`,
        ttlMinutes: FEED_MAX_AGE_MINUTES,
      };
      // Keyed by the validated query, never raw input (read/cache.ts).
      const answer = await listedFeed(`feed:search:${format}:${JSON.stringify(parsed.data)}`, format, meta, {
        sort,
        q,
        limit: FEED_ITEMS,
      });
      return sendFeed(request, reply, answer, { private: false, maxAgeSeconds });
    });

    app.get(`/feeds/me.${format}`, limited, async (request: FastifyRequest, reply) => {
      // Any refusal is the same 404: a feed reader has nothing to fix, and a prober learns nothing.
      const parsed = privateQuery.safeParse(request.query);
      if (!parsed.success) return notFound(reply);
      const { token } = parsed.data;
      const link = await deps.links.checkLink(token, 'feed');
      if (!link?.current || link.status !== 'active') return notFound(reply);
      const meta: FeedMeta = {
        id: `tag:${host},2026:feeds/me/${link.subscriberId}`,
        title: 'paperboy: your papers',
        description: 'The papers paperboy picks for you, best first, each with the reason it was picked.',
        selfUrl: `${base}/feeds/me.${format}?token=${encodeURIComponent(token)}`,
        homeUrl: `${base}/subscribe`,
        ttlMinutes: FEED_MAX_AGE_MINUTES,
      };
      // Not in the answer cache: one reader polls every few minutes, so an entry would only push out
      // shared answers; the ranking's candidates are already kept by DigestCandidates (a minute).
      const picks = await deps.personal(link.subscriberId, FEED_ITEMS);
      // The digest's "more / less like this" links too: the feed is where this reader reads their papers.
      const feedback = await deps.links.feedbackLinks(
        link.subscriberId,
        link.tokenVersion,
        picks.map((p) => p.id),
      );
      const items = await itemsOf(picks, feedback);
      const answer = renderedFeed(format, meta, items, { key: `me:${format}:${token}`, clock });
      return sendFeed(request, reply, answer, { private: true, maxAgeSeconds });
    });
  }
}
