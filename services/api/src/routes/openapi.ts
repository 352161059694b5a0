import type { Taxonomy } from '@paperboy/pipeline';
import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import { zodToJsonSchema } from 'zod-to-json-schema';
import { eventPaths } from '../events/openapi.js';
import { feedPaths } from '../feeds/openapi.js';
import { paperSchemas } from '../read/paper-schema.js';
import { readSchemas } from '../read/schemas.js';
import { queryParameters } from './query-parameters.js';

/** A page of papers: `papers`, and `nextCursor` (/api/papers) or `window` (/api/trending). */
const paperList = (extra: { nextCursor?: true; window?: true }) => ({
  type: 'object',
  properties: {
    papers: { type: 'array', items: { $ref: '#/components/schemas/Paper' } },
    ...(extra.nextCursor ? { nextCursor: { type: 'string', nullable: true } } : {}),
    ...(extra.window ? { window: { type: 'string', enum: ['24h', '7d'] } } : {}),
  },
});

/** The OpenAPI 3 document of the read and subscription API, generated from the same zod schemas that validate requests. */
export function openApiDocument(taxonomy: Taxonomy, subscriptionBody: z.ZodTypeAny, preferencesBody: z.ZodTypeAny) {
  const { listQuery, trendingQuery, formatQuery } = readSchemas(taxonomy);
  const list = {
    description:
      'JSON, or CSV with format=csv or Accept: text/csv (cells a spreadsheet would read as a formula start with a single quote); ETag and If-None-Match (304) supported',
  };
  // Every read route shares one budget per client (PAPERBOY_READ_PER_MINUTE).
  const limited = { 429: { description: 'too many requests from this client (Retry-After says when to come back)' } };
  // Every read query is limited to PAPERBOY_API_STATEMENT_TIMEOUT_MS (read-pool.ts, error-handler.ts).
  // The signed link of the preferences page (from any digest) authorises the preferences routes.
  const preferencesToken = {
    name: 'token',
    in: 'query',
    required: true,
    description: "the token of the subscriber's preferences link (from any digest)",
    schema: { type: 'string' },
  };
  const invalidLink = {
    400: { description: 'invalid link: forged, revoked ("sign out every link") or not a preferences link' },
  };
  const learned = {
    type: 'object',
    properties: {
      more: { type: 'integer', description: '"more like this" words given' },
      less: { type: 'integer', description: '"less like this" words given' },
      latest: {
        type: 'array',
        description: 'the latest 20 words, newest first',
        items: {
          type: 'object',
          properties: {
            paperId: { type: 'integer' },
            title: { type: 'string' },
            signal: { type: 'integer', enum: [1, -1] },
            givenAt: { type: 'string', format: 'date-time' },
          },
        },
      },
      termsFor: {
        type: 'array',
        items: { type: 'object', properties: { term: { type: 'string' }, weight: { type: 'number' } } },
      },
      termsAgainst: {
        type: 'array',
        items: { type: 'object', properties: { term: { type: 'string' }, weight: { type: 'number' } } },
      },
      model: { type: 'boolean', description: 'whether a model is stored' },
    },
  };
  const timedOut = {
    503: { description: 'the query took too long (the read time limit); Retry-After says when to try again' },
  };
  return {
    openapi: '3.0.3',
    info: { title: 'paperboy', version: '0.1.0', description: 'Trending research papers: read API and subscriptions.' },
    components: { schemas: paperSchemas },
    paths: {
      '/api/papers': {
        get: {
          summary: 'Papers, filtered and paged with a keyset cursor',
          parameters: queryParameters(listQuery),
          responses: {
            200: { ...list, content: { 'application/json': { schema: paperList({ nextCursor: true }) } } },
            400: { description: 'invalid parameters, or an unknown source (each named in details)' },
            ...limited,
            ...timedOut,
          },
        },
      },
      '/api/papers/{arxivId}': {
        get: {
          summary: 'One paper with its sighting history',
          parameters: [
            {
              name: 'arxivId',
              in: 'path',
              required: true,
              description:
                'an arXiv id (2411.01234, hep-th/9901001); a version or prefix (2411.01234v2, arXiv:2411.01234) names the same paper',
              schema: { type: 'string' },
            },
          ],
          responses: {
            200: {
              description: 'the paper',
              content: { 'application/json': { schema: { $ref: '#/components/schemas/PaperWithHistory' } } },
            },
            400: { description: 'not an arXiv id' },
            404: { description: 'no such paper' },
            ...limited,
            ...timedOut,
          },
        },
      },
      '/api/topics': {
        get: {
          summary: 'Topics of the taxonomy with paper counts',
          parameters: queryParameters(formatQuery),
          responses: { 200: list, 400: { description: 'invalid parameters' }, ...limited, ...timedOut },
        },
      },
      '/api/trending': {
        get: {
          summary: 'Best-scoring papers of a window',
          parameters: queryParameters(trendingQuery),
          responses: {
            200: { ...list, content: { 'application/json': { schema: paperList({ window: true }) } } },
            400: { description: 'invalid parameters' },
            ...limited,
            ...timedOut,
          },
        },
      },
      '/api/sources': {
        get: {
          summary: 'Source health',
          description:
            'The sources of the sources file in its order (`configured: true`; one that never crawled has `health` ' +
            '"never crawled"), then every other source with crawls recorded, by id (`configured: false`): the listing ' +
            'of `paperboy sources` and the dashboard page, with the same health verdicts and reasons.',
          parameters: queryParameters(formatQuery),
          responses: { 200: list, 400: { description: 'invalid parameters' }, ...limited, ...timedOut },
        },
      },
      '/api/subscriptions': {
        post: {
          summary: 'Subscribe (double opt-in: a confirmation link is mailed)',
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: zodToJsonSchema(subscriptionBody, { target: 'openApi3', $refStrategy: 'none' }),
              },
            },
          },
          responses: {
            202: { description: 'accepted (the answer never says whether the address was known)' },
            400: { description: 'invalid request' },
            429: { description: 'too many requests' },
          },
        },
      },
      ...feedPaths(taxonomy),
      ...eventPaths(taxonomy),
      '/api/preferences': {
        get: {
          summary:
            "A subscriber's preferences (topics, frequency, send hour, time zone, thresholds, followed authors, keywords, negative keywords)",
          parameters: [preferencesToken],
          responses: { 200: { description: 'the preferences' }, ...invalidLink },
        },
        put: {
          summary: 'Update preferences: only the fields given change',
          description:
            'Lists are arrays (or text, one item a line or comma-separated); items are trimmed, empty ones and case-insensitive duplicates dropped; at most 50 items of at most 100 characters each, no control characters.',
          parameters: [preferencesToken],
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: zodToJsonSchema(preferencesBody, { target: 'openApi3', $refStrategy: 'none' }),
              },
            },
          },
          responses: {
            200: { description: 'the preferences as stored now' },
            400: { description: 'invalid link, or invalid fields (each named in details)' },
          },
        },
      },
      '/api/preferences/learned': {
        get: {
          summary: 'What paperboy learned about the subscriber from their feedback (terms are approximate)',
          parameters: [preferencesToken],
          responses: {
            200: { description: 'the summary', content: { 'application/json': { schema: learned } } },
            ...invalidLink,
          },
        },
        delete: {
          summary:
            "Clear what paperboy learned: the subscriber's feedback and model (their digests rank as at the start)",
          parameters: [preferencesToken],
          responses: { 200: { description: '{cleared: {feedback, models}}: the rows deleted' }, ...invalidLink },
        },
      },
    },
  };
}

export function registerOpenApi(
  app: FastifyInstance,
  taxonomy: Taxonomy,
  subscriptionBody: z.ZodTypeAny,
  preferencesBody: z.ZodTypeAny,
): void {
  const document = openApiDocument(taxonomy, subscriptionBody, preferencesBody);
  app.get('/api/openapi.json', async () => document);
}
