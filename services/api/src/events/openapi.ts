import type { Taxonomy } from '@paperboy/pipeline';
import { z } from 'zod';
import { zodToJsonSchema } from 'zod-to-json-schema';
import { errorResponse, jsonResponse } from '../contract/openapi-schemas.js';
import { queryParameters } from '../routes/query-parameters.js';
import { eventSchemas } from './schemas.js';

/** A request body: as it validates (strict objects, so without additionalProperties: false for requests too). */
const json = (schema: z.ZodTypeAny) => zodToJsonSchema(schema, { target: 'openApi3', $refStrategy: 'none' });
const body = (schema: z.ZodTypeAny) => ({ required: true, content: { 'application/json': { schema: json(schema) } } });
const ok = jsonResponse;

/** The live stream's and the webhook admin API's operations for /api/openapi.json, from the zod schemas that validate them. */
export function eventPaths(taxonomy: Taxonomy) {
  const s = eventSchemas(taxonomy, false);
  const admin = [{ adminToken: [] }];
  const unauthorised = {
    401: errorResponse('admin token required: `Authorization: Bearer <PAPERBOY_ADMIN_TOKEN>` (or the admin cookie)'),
  };
  const invalid = { 400: errorResponse('invalid request: `details` names each bad field') };
  const missing = { 404: errorResponse('no webhook endpoint with this id') };
  const id = [{ name: 'id', in: 'path', required: true, schema: { type: 'integer' } }];
  const endpoint = ok('the endpoint (without its secret)', s.endpoint);
  return {
    '/api/events': {
      get: {
        summary: 'The live stream of events (Server-Sent Events)',
        security: [...admin, {}],
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
            description:
              'text/event-stream: messages `id: <position>`, `event: <type>`, `data: <an Event as JSON>` (the schema ' +
              'describes one message’s data), comment lines as heartbeats',
            content: { 'text/event-stream': { schema: { $ref: '#/components/schemas/Event' } } },
          },
          400: errorResponse('an unknown type or topic, or a Last-Event-ID that is not a position'),
          ...unauthorised,
          503: errorResponse(
            'this server is at PAPERBOY_EVENT_STREAM_CLIENTS connections; Retry-After says when to retry',
          ),
        },
      },
    },
    '/api/admin/webhooks': {
      get: {
        summary: 'Webhook endpoints with their health (secrets masked)',
        security: admin,
        responses: { 200: ok('every endpoint', z.object({ endpoints: z.array(s.endpoint) })), ...unauthorised },
      },
      post: {
        summary: 'Add a webhook endpoint (it receives events from now on)',
        security: admin,
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
        security: admin,
        parameters: id,
        responses: { 200: endpoint, ...invalid, ...unauthorised, ...missing },
      },
      patch: {
        summary: "Change an endpoint's URL, types, topics, description or secret",
        security: admin,
        parameters: id,
        requestBody: body(s.change),
        responses: { 200: endpoint, ...invalid, ...unauthorised, ...missing },
      },
      delete: {
        summary: 'Remove a webhook endpoint',
        security: admin,
        parameters: id,
        responses: { 204: { description: 'removed' }, ...invalid, ...unauthorised, ...missing },
      },
    },
    '/api/admin/webhooks/{id}/enable': {
      post: {
        summary: 'Enable an endpoint (its failure run starts again)',
        security: admin,
        parameters: id,
        responses: { 200: endpoint, ...invalid, ...unauthorised, ...missing },
      },
    },
    '/api/admin/webhooks/{id}/disable': {
      post: {
        summary: 'Disable an endpoint (nothing is delivered; its position stays)',
        security: admin,
        parameters: id,
        requestBody: { ...body(s.disableBody), required: false },
        responses: { 200: endpoint, ...invalid, ...unauthorised, ...missing },
      },
    },
    '/api/admin/webhooks/{id}/replay': {
      post: {
        summary: 'Re-deliver from a time: move the endpoint back to the first event at or after `since`',
        description:
          'The relay then delivers every event after that position again, with the same event ids. A `since` ' +
          'before the retention window is refused (events older are pruned).',
        security: admin,
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
