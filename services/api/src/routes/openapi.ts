import type { Taxonomy } from '@paperboy/pipeline';
import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import { zodToJsonSchema } from 'zod-to-json-schema';
import {
  componentSchemas,
  errorResponse,
  jsonResponse,
  readErrors,
  textResponse,
} from '../contract/openapi-schemas.js';
import {
  healthSchema,
  learnedClearedSchema,
  learnedSchema,
  paperPageSchema,
  paperWithHistorySchema,
  preferencesSchema,
  readinessSchema,
  sourceListSchema,
  subscribeAcceptedSchema,
  topicListSchema,
  trendingSchema,
} from '../contract/responses.js';
import { eventPaths } from '../events/openapi.js';
import { feedPaths } from '../feeds/openapi.js';
import { readSchemas } from '../read/schemas.js';
import { queryParameters } from './query-parameters.js';

type Paths = Record<string, Record<string, unknown>>;

/**
 * The operations other modules describe beside their routes, merged into the document here, in one
 * place: the feeds (and the event stream and webhook administration when they are registered).
 */
export function pathFragments(taxonomy: Taxonomy): Paths {
  return { ...(feedPaths(taxonomy) as Paths), ...(eventPaths(taxonomy) as Paths) };
}

/** The OpenAPI 3 document of the API: requests and every response from the zod schemas that validate and type them. */
export function openApiDocument(taxonomy: Taxonomy, subscriptionBody: z.ZodTypeAny, preferencesBody: z.ZodTypeAny) {
  const { listQuery, trendingQuery, formatQuery } = readSchemas(taxonomy);
  /** A read list's 200: JSON of `schema`, or CSV (format=csv or Accept: text/csv), with an ETag. */
  const list = (schema: z.ZodTypeAny, what: string) => {
    const json = jsonResponse(
      `${what}: JSON, or CSV with format=csv or Accept: text/csv (cells a spreadsheet would read as a formula start ` +
        'with a single quote); ETag and If-None-Match (304) supported',
      schema,
    );
    return { ...json, content: { ...json.content, ...textResponse('', 'text/csv').content } };
  };
  const notModified = { 304: { description: 'not modified (If-None-Match names the current ETag)' } };
  const invalidParameters = { 400: errorResponse('invalid parameters (each named in details)') };
  // The signed link of the preferences page (from any digest) authorises the preferences routes.
  const preferencesToken = {
    name: 'token',
    in: 'query',
    required: true,
    description: "the token of the subscriber's preferences link (from any digest)",
    schema: { type: 'string' },
  };
  const invalidLink = {
    400: errorResponse('invalid link: forged, revoked ("sign out every link") or not a preferences link'),
  };
  const requestBody = (schema: z.ZodTypeAny) => ({
    required: true,
    content: { 'application/json': { schema: zodToJsonSchema(schema, { target: 'openApi3', $refStrategy: 'none' }) } },
  });
  const paths: Paths = {
    '/api/papers': {
      get: {
        summary: 'Papers, filtered and paged with a keyset cursor',
        parameters: queryParameters(listQuery),
        responses: {
          200: list(paperPageSchema, 'a page of papers'),
          ...notModified,
          400: errorResponse('invalid parameters, or an unknown source (each named in details)'),
          ...readErrors,
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
          200: jsonResponse('the paper (ETag and If-None-Match supported)', paperWithHistorySchema),
          ...notModified,
          400: errorResponse('not an arXiv id, or a query parameter given'),
          404: errorResponse('no such paper'),
          ...readErrors,
        },
      },
    },
    '/api/topics': {
      get: {
        summary: 'Topics of the taxonomy with paper counts',
        parameters: queryParameters(formatQuery),
        responses: { 200: list(topicListSchema, 'the topics'), ...notModified, ...invalidParameters, ...readErrors },
      },
    },
    '/api/trending': {
      get: {
        summary: 'Best-scoring papers of a window',
        parameters: queryParameters(trendingQuery),
        responses: {
          200: list(trendingSchema, 'the papers, best first'),
          ...notModified,
          ...invalidParameters,
          ...readErrors,
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
        responses: { 200: list(sourceListSchema, 'the sources'), ...notModified, ...invalidParameters, ...readErrors },
      },
    },
    '/api/subscriptions': {
      post: {
        summary: 'Subscribe (double opt-in: a confirmation link is mailed)',
        requestBody: requestBody(subscriptionBody),
        responses: {
          202: jsonResponse('accepted (the answer never says whether the address was known)', subscribeAcceptedSchema),
          400: errorResponse('invalid request (each problem named in details)'),
          429: errorResponse('too many requests from this client (Retry-After says when to come back)'),
        },
      },
    },
    '/api/preferences': {
      get: {
        summary:
          "A subscriber's preferences (topics, frequency, send hour, time zone, thresholds, followed authors, keywords, negative keywords)",
        parameters: [preferencesToken],
        responses: { 200: jsonResponse('the preferences', preferencesSchema), ...invalidLink },
      },
      put: {
        summary: 'Update preferences: only the fields given change',
        description:
          'Lists are arrays (or text, one item a line or comma-separated); items are trimmed, empty ones and case-insensitive duplicates dropped; at most 50 items of at most 100 characters each, no control characters.',
        parameters: [preferencesToken],
        requestBody: requestBody(preferencesBody),
        responses: {
          200: jsonResponse('the preferences as stored now', preferencesSchema),
          400: errorResponse('invalid link, or invalid fields (each named in details)'),
        },
      },
    },
    '/api/preferences/learned': {
      get: {
        summary: 'What paperboy learned about the subscriber from their feedback (terms are approximate)',
        parameters: [preferencesToken],
        responses: { 200: jsonResponse('the summary', learnedSchema), ...invalidLink },
      },
      delete: {
        summary:
          "Clear what paperboy learned: the subscriber's feedback and model (their digests rank as at the start)",
        parameters: [preferencesToken],
        responses: { 200: jsonResponse('the rows deleted', learnedClearedSchema), ...invalidLink },
      },
    },
    '/api/openapi.json': {
      get: {
        summary: 'This document (OpenAPI 3.0.3)',
        responses: {
          200: { description: 'the document', content: { 'application/json': { schema: { type: 'object' } } } },
        },
      },
    },
    '/healthz': {
      get: {
        summary: 'Alive (a liveness probe)',
        responses: { 200: jsonResponse('the process answers', healthSchema) },
      },
    },
    '/readyz': {
      get: {
        summary: 'Ready: Postgres, Redis, migrations (and the replica when configured) checked',
        responses: {
          200: jsonResponse('every check ok', readinessSchema),
          503: jsonResponse('a check failed: each check says ok or what went wrong', readinessSchema),
        },
      },
    },
    ...pathFragments(taxonomy),
  };
  return {
    openapi: '3.0.3',
    info: {
      title: 'paperboy',
      version: '0.1.0',
      description:
        'Trending research papers: read API, feeds and subscriptions. `components.schemas` also holds the events ' +
        'paperboy delivers (`Event`, one `Event…V<version>` per type; docs/reference/events.md).',
    },
    components: {
      schemas: componentSchemas(),
      // For operations behind PAPERBOY_ADMIN_TOKEN (`security: [{ adminToken: [] }]`): sent as a Bearer token.
      securitySchemes: { adminToken: { type: 'http', scheme: 'bearer', description: 'PAPERBOY_ADMIN_TOKEN' } },
    },
    paths: withOperationIds(paths),
  };
}

/**
 * Every operation named (`getPapersByArxivId`, `getFeedsTopicsByTopicRss`), from its method and path,
 * unless it names itself: client generators make their function names from these.
 */
function withOperationIds(paths: Paths): Paths {
  const words = (path: string) =>
    path
      .replace(/^\/api\//, '/')
      .split(/[^A-Za-z0-9{}]+/)
      .filter(Boolean)
      .map((word) => (word.startsWith('{') ? `By${capital(word.slice(1, -1))}` : capital(word)));
  const capital = (word: string) => word.charAt(0).toUpperCase() + word.slice(1);
  return Object.fromEntries(
    Object.entries(paths).map(([path, operations]) => [
      path,
      Object.fromEntries(
        Object.entries(operations).map(([method, operation]) => [
          method,
          { operationId: `${method}${words(path).join('')}`, ...(operation as object) },
        ]),
      ),
    ]),
  );
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
