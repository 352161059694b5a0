import { eventEnvelopeSchema, type Taxonomy } from '@paperboy/pipeline';
import type { z } from 'zod';
import { zodToJsonSchema } from 'zod-to-json-schema';
import { queryParameters } from '../routes/query-parameters.js';
import { eventSchemas } from './schemas.js';

const json = (schema: z.ZodTypeAny) => zodToJsonSchema(schema, { target: 'openApi3', $refStrategy: 'none' });
const body = (schema: z.ZodTypeAny) => ({ required: true, content: { 'application/json': { schema: json(schema) } } });
const ok = (description: string, schema: z.ZodTypeAny) => ({
  description,
  content: { 'application/json': { schema: json(schema) } },
});

/** The live stream's and the webhook admin API's operations for /api/openapi.json, from the zod schemas that validate them. */
export function eventPaths(taxonomy: Taxonomy) {
  const s = eventSchemas(taxonomy, false);
  // No securitySchemes entry: the document has none yet (routes/openapi.ts); the 401 says what to send.
  const unauthorised = {
    401: { description: 'admin token required: `Authorization: Bearer <PAPERBOY_ADMIN_TOKEN>` (or the admin cookie)' },
  };
  const invalid = { 400: { description: 'invalid request: `details` names each bad field' } };
  const missing = { 404: { description: 'no webhook endpoint with this id' } };
  const id = [{ name: 'id', in: 'path', required: true, schema: { type: 'integer' } }];
  const endpoint = ok('the endpoint (without its secret)', s.endpoint);
  return {
    '/api/events': {
      get: {
        summary: 'The live stream of events (Server-Sent Events)',
        description:
          'One message per event: `id` the position (send it back as Last-Event-ID to resume right after it), ' +
          '`event` the type, `data` the JSON envelope. Without Last-Event-ID the stream starts at the newest event ' +
          '(only new ones follow); with one it first sends every event after it that the outbox still holds. ' +
          'A comment line every 15 s keeps idle connections open. Guarded like /dashboard.',
        parameters: [
          ...queryParameters(s.streamQuery),
          {
            name: 'Last-Event-ID',
            in: 'header',
            required: false,
            description: 'the id of the last message received (a position `<tx>.<id>`)',
            schema: { type: 'string' },
          },
        ],
        responses: {
          200: {
            description: 'text/event-stream; each message’s data is the envelope below',
            content: { 'text/event-stream': { schema: json(eventEnvelopeSchema) } },
          },
          400: { description: 'an unknown type or topic, or a Last-Event-ID that is not a position' },
          ...unauthorised,
          503: {
            description: 'this server is at PAPERBOY_EVENT_STREAM_CLIENTS connections; Retry-After says when to retry',
          },
        },
      },
    },
    '/api/admin/webhooks': {
      get: {
        summary: 'Webhook endpoints with their health (secrets masked)',
        responses: {
          200: {
            description: 'every endpoint',
            content: {
              'application/json': {
                schema: { type: 'object', properties: { endpoints: { type: 'array', items: json(s.endpoint) } } },
              },
            },
          },
          ...unauthorised,
        },
      },
      post: {
        summary: 'Add a webhook endpoint (it receives events from now on)',
        requestBody: body(s.create),
        responses: {
          201: ok('the endpoint and its secret: shown this once', s.created),
          ...invalid,
          ...unauthorised,
        },
      },
    },
    '/api/admin/webhooks/{id}': {
      get: {
        summary: 'One webhook endpoint',
        parameters: id,
        responses: { 200: endpoint, ...unauthorised, ...missing },
      },
      patch: {
        summary: "Change an endpoint's URL, types, topics, description or secret",
        parameters: id,
        requestBody: body(s.change),
        responses: { 200: endpoint, ...invalid, ...unauthorised, ...missing },
      },
      delete: {
        summary: 'Remove a webhook endpoint',
        parameters: id,
        responses: { 204: { description: 'removed' }, ...unauthorised, ...missing },
      },
    },
    '/api/admin/webhooks/{id}/enable': {
      post: {
        summary: 'Enable an endpoint (its failure run starts again)',
        parameters: id,
        responses: { 200: endpoint, ...unauthorised, ...missing },
      },
    },
    '/api/admin/webhooks/{id}/disable': {
      post: {
        summary: 'Disable an endpoint (nothing is delivered; its position stays)',
        parameters: id,
        requestBody: { ...body(s.disableBody), required: false },
        responses: { 200: endpoint, ...invalid, ...unauthorised, ...missing },
      },
    },
    '/api/admin/webhooks/{id}/replay': {
      post: {
        summary: 'Re-deliver from a time: move the endpoint back to the first event at or after `since`',
        description:
          'The relay then delivers every event after that position again, with the same event ids. A `since` before the retention window is refused (events older are pruned).',
        parameters: id,
        requestBody: body(s.replayBody),
        responses: {
          200: ok('where delivery restarts, and how many events wait', s.replayAnswer),
          ...invalid,
          ...unauthorised,
          ...missing,
        },
      },
    },
  };
}
