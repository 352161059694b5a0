import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { CachedAnswer } from '../read/cache.js';
import type { FeedItem } from './items.js';
import { FEED_CONTENT_TYPES, type FeedFormat, type FeedMeta, newestUpdate, renderFeed } from './render.js';

/**
 * When each feed's current content was first rendered by this process, so that Last-Modified moves
 * whenever the content does. The newest item's update alone would not: a paper first seen days ago
 * that enters a topic's top 50, or a new order, changes the feed without a newer item, and a reader
 * that sends only If-Modified-Since would get a 304 and miss it. Bounded (least recently used out).
 */
export class ContentClock {
  private readonly seen = new Map<string, { etag: string; since: number }>();

  constructor(
    private readonly maxEntries = 5000,
    private readonly now: () => number = Date.now,
  ) {}

  /** When this feed first had this ETag here: now for new content, at least a second after the content it replaces. */
  since(key: string, etag: string): Date {
    const known = this.seen.get(key);
    this.seen.delete(key);
    // HTTP dates have whole seconds: a change within the second of the last one must still move the date.
    const since =
      known?.etag === etag
        ? known.since
        : Math.max(this.now(), known ? Math.floor(known.since / 1000) * 1000 + 1000 : 0);
    this.seen.set(key, { etag, since });
    while (this.seen.size > this.maxEntries) this.seen.delete(this.seen.keys().next().value!);
    return new Date(since);
  }
}

/**
 * A rendered feed, ready to send or to keep in the answer cache: a strong ETag (a hash of the
 * bytes: any change of the feed, an item's counts or the order included, is a new one) and
 * Last-Modified: the newest item's update, or when this content was first rendered (`clock`) if later.
 */
export function renderedFeed(
  format: FeedFormat,
  meta: FeedMeta,
  items: readonly FeedItem[],
  clock: { key: string; clock: ContentClock },
): CachedAnswer {
  const payload = renderFeed(format, meta, items);
  const etag = `"${createHash('sha256').update(payload).digest('base64url').slice(0, 27)}"`;
  const newest = newestUpdate(items);
  const rendered = clock.clock.since(clock.key, etag);
  const lastModified = newest && newest > rendered ? newest : rendered;
  return {
    status: 200,
    contentType: FEED_CONTENT_TYPES[format],
    payload,
    etag,
    lastModified: lastModified.toUTCString(),
  };
}

/** Whether an If-None-Match header names this ETag (`*` or a list; weak comparison, as RFC 9110 has it for GET). */
function etagMatches(header: string, etag: string): boolean {
  const opaque = (tag: string) => tag.trim().replace(/^W\//, '');
  return header.split(',').some((tag) => tag.trim() === '*' || opaque(tag) === opaque(etag));
}

/**
 * Whether the client's copy is current (RFC 9110 13.2.2): If-None-Match decides when it is sent
 * (If-Modified-Since is then ignored), else If-Modified-Since against Last-Modified.
 */
export function notModified(request: FastifyRequest, answer: CachedAnswer): boolean {
  const ifNoneMatch = request.headers['if-none-match'];
  if (ifNoneMatch !== undefined) return answer.etag !== undefined && etagMatches(ifNoneMatch, answer.etag);
  const since = Date.parse(request.headers['if-modified-since'] ?? '');
  if (Number.isNaN(since) || !answer.lastModified) return false;
  return Date.parse(answer.lastModified) <= since;
}

/**
 * Sends a feed with its validators and caching for feed readers: a few minutes' freshness
 * (`public`, or `private` for a subscriber's own feed, which no shared cache may keep); a current
 * copy gets a 304 without a body.
 */
export function sendFeed(
  request: FastifyRequest,
  reply: FastifyReply,
  answer: CachedAnswer,
  cache: { private: boolean; maxAgeSeconds: number },
) {
  reply.header('cache-control', `${cache.private ? 'private' : 'public'}, max-age=${cache.maxAgeSeconds}`);
  if (answer.etag) reply.header('etag', answer.etag);
  if (answer.lastModified) reply.header('last-modified', answer.lastModified);
  if (notModified(request, answer)) return reply.code(304).send();
  return reply.code(answer.status).type(answer.contentType).send(answer.payload);
}
