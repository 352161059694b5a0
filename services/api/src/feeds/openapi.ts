import type { Taxonomy } from '@paperboy/pipeline';
import { errorResponse, readErrors, textResponse } from '../contract/openapi-schemas.js';
import { queryParameters } from '../routes/query-parameters.js';
import { FEED_CONTENT_TYPES, FEED_FORMATS, type FeedFormat } from './render.js';
import { FEED_ITEMS, FEED_MAX_AGE_MINUTES, feedSchemas } from './routes.js';

const FORMAT_NAMES: Record<FeedFormat, string> = { rss: 'RSS 2.0', atom: 'Atom', json: 'JSON Feed 1.1' };

/** The feeds' operations for /api/openapi.json: one path per format, parameters from the schemas that validate them. */
export function feedPaths(taxonomy: Taxonomy) {
  const { searchQuery, privateQuery } = feedSchemas(taxonomy);
  // The feed itself is text of its media type (a JSON Feed too: its schema is jsonfeed.org's, not ours).
  const ok = (format: FeedFormat) =>
    textResponse(
      `${FORMAT_NAMES[format]}, at most ${FEED_ITEMS} items; a strong ETag and Last-Modified (the newest item's update); ` +
        `Cache-Control max-age ${FEED_MAX_AGE_MINUTES * 60} s`,
      FEED_CONTENT_TYPES[format].split(';')[0]!,
    );
  const common = { 304: { description: 'not modified (If-None-Match, else If-Modified-Since)' }, ...readErrors };
  const paths: Record<string, unknown> = {};
  for (const format of FEED_FORMATS) {
    paths[`/feeds/topics/{topic}.${format}`] = {
      get: {
        summary: `A topic's trending papers (${FORMAT_NAMES[format]})`,
        parameters: [
          {
            name: 'topic',
            in: 'path',
            required: true,
            schema: { type: 'string', enum: taxonomy.topics.map((t) => t.id) },
          },
        ],
        responses: {
          200: ok(format),
          ...common,
          400: errorResponse('a query parameter given (the topic feed takes none)'),
          404: errorResponse('no such topic'),
        },
      },
    };
    paths[`/feeds/search.${format}`] = {
      get: {
        summary: `Papers matching a search (${FORMAT_NAMES[format]})`,
        parameters: queryParameters(searchQuery),
        responses: { 200: ok(format), ...common, 400: errorResponse('q missing or invalid') },
      },
    };
    paths[`/feeds/me.${format}`] = {
      get: {
        summary: `A subscriber's papers in their personal ranking, each with its reason (${FORMAT_NAMES[format]})`,
        description:
          'A private feed: the token is a signed link for the purpose "feed" (the preferences page gives it); ' +
          '"Sign out every link" revokes it. Cache-Control: private.',
        parameters: queryParameters(privateQuery),
        responses: {
          200: ok(format),
          ...common,
          404: errorResponse('no such feed (an invalid or revoked link; the answer does not say which)'),
        },
      },
    };
  }
  return paths;
}
