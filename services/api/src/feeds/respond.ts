import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { CachedAnswer } from '../read/cache.js';
import type { FeedItem } from './items.js';
import { FEED_CONTENT_TYPES, type FeedFormat, type FeedMeta, newestUpdate, renderFeed } from './render.js';

/**
 * A rendered feed, ready to send or to keep in the answer cache: a strong ETag (a hash of the
 * bytes: any change of the feed, an item's counts or the order included, is a new one) and
 * Last-Modified (the newest item's update, to the second).
 */
export function renderedFeed(format: FeedFormat, meta: FeedMeta, items: readonly FeedItem[]): CachedAnswer {
  const payload = renderFeed(format, meta, items);
  const newest = newestUpdate(items);
  return {
    status: 200,
    contentType: FEED_CONTENT_TYPES[format],
    payload,
    etag: `"${createHash('sha256').update(payload).digest('base64url').slice(0, 27)}"`,
    ...(newest ? { lastModified: newest.toUTCString() } : {}),
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
