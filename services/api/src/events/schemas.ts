import {
  EVENT_TYPES,
  eventTypeList,
  REPLAY_SINCE_FORMS,
  splitList,
  type Taxonomy,
  topicList,
  webhookEndpointSchemas,
} from '@paperboy/pipeline';
import { z } from 'zod';

/** The request and answer schemas of /api/events and /api/admin/webhooks: the routes validate with them, openapi.ts documents them. */
export function eventSchemas(taxonomy: Taxonomy, allowPrivate: boolean) {
  const topics = taxonomy.topics.map((t) => t.id);
  const commaList = <T extends z.ZodTypeAny>(inner: T) =>
    z.preprocess((v) => (typeof v === 'string' ? splitList(v) : v), inner);
  const streamQuery = z
    .object({
      types: commaList(eventTypeList)
        .optional()
        .describe(`comma-separated event types (default every type): ${EVENT_TYPES.join(', ')}`),
      topics: commaList(topicList(topics))
        .optional()
        .describe('comma-separated topic ids (default every topic); events not about a paper always pass'),
      lastEventId: z
        .string()
        .optional()
        .describe('where to resume, for clients that cannot send the Last-Event-ID header (the header wins)'),
      token: z.string().optional().describe('the admin token, once in a browser (kept in a cookie)'),
    })
    .strict();
  const { create, change } = webhookEndpointSchemas({ topics, allowPrivate });
  const endpoint = z.object({
    id: z.number().int(),
    url: z.string(),
    description: z.string().nullable(),
    eventTypes: z.array(z.string()).describe('empty: every type'),
    topics: z.array(z.string()).describe('empty: every topic'),
    secretPrefix: z
      .string()
      .describe('the start of the secret, to tell secrets apart (the secret itself is shown once)'),
    enabled: z.boolean(),
    disabledReason: z.string().nullable(),
    disabledAt: z.string().datetime().nullable(),
    cursor: z.string().describe('the position delivered through (`<tx>.<id>`)'),
    pendingEvents: z.number().int().describe('events waiting for it, counted up to 10000'),
    consecutiveFailures: z.number().int(),
    failingSince: z.string().datetime().nullable(),
    lastAttemptAt: z.string().datetime().nullable(),
    lastSuccessAt: z.string().datetime().nullable(),
    lastFailureAt: z.string().datetime().nullable(),
    lastStatus: z.number().int().nullable(),
    lastError: z.string().nullable(),
    delivered: z.number().int(),
    failed: z.number().int(),
    createdAt: z.string().datetime(),
  });
  const created = endpoint.extend({
    secret: z.string().describe('the signing secret: shown here once, never again (store it now)'),
  });
  // Bounded to bigint: a larger number would reach Postgres and fail there (500).
  const idParams = z.object({ id: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER) });
  const disableBody = z
    .object({ reason: z.string().trim().max(500).optional().describe('why (shown on the dashboard)') })
    .strict();
  const replayBody = z.object({ since: z.string().describe(`where to start: ${REPLAY_SINCE_FORMS}`) }).strict();
  const replayAnswer = z.object({
    endpoint: endpoint,
    from: z.string().describe('the position delivery starts after'),
    since: z.string().datetime(),
    pendingEvents: z.number().int(),
  });
  return { streamQuery, create, change, endpoint, created, idParams, disableBody, replayBody, replayAnswer };
}
