import type { OutgoingHttpHeaders } from 'node:http';
import type { Config } from '@paperboy/config';
import {
  type Db,
  EventRepository,
  formatPosition,
  parsePosition,
  positionAfter,
  WebhookBacklogRepository,
  type WebhookEndpoint,
  WebhookRepository,
} from '@paperboy/db';
import {
  issueLines,
  newWebhookSecret,
  parseReplaySince,
  REPLAY_SINCE_FORMS,
  replayRetentionProblem,
  type Taxonomy,
  webhookEndpointJson,
} from '@paperboy/pipeline';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { z } from 'zod';
import type { AdminGuard } from '../admin-guard.js';
import { eventSchemas } from './schemas.js';
import { EventHub, type EventHubOptions } from './stream.js';

/** Seconds a client refused for the connection cap is asked to wait. */
export const STREAM_FULL_RETRY_AFTER_SECONDS = 30;
/** What the stream tells EventSource to wait before reconnecting (ms). */
export const STREAM_RETRY_MS = 3000;

const invalid = (reply: FastifyReply, error: z.ZodError) =>
  reply.code(400).send({ error: 'invalid request', details: issueLines(error) });

/**
 * GET /api/events (the live stream, Server-Sent Events) and the admin API of webhook endpoints
 * (/api/admin/webhooks). The stream is guarded like /dashboard; the admin API always by the token.
 */
export function registerEventRoutes(
  app: FastifyInstance,
  deps: {
    db: Db;
    config: Config;
    taxonomy: Taxonomy;
    /** The stream's guard: the dashboard's (none when PAPERBOY_PUBLIC_DASHBOARD=1). */
    streamGuard?: AdminGuard;
    adminGuard: AdminGuard;
    hub?: EventHubOptions;
    now?: () => Date;
  },
): EventHub {
  const schemas = eventSchemas(deps.taxonomy, deps.config.webhooks.allowPrivate);
  const events = new EventRepository(deps.db);
  const webhooks = new WebhookRepository(deps.db);
  const backlog = new WebhookBacklogRepository(deps.db);
  const now = deps.now ?? (() => new Date());
  const hub = new EventHub(events, {
    onError: (error) => app.log.warn({ err: (error as Error).message }, 'event stream: reading the outbox failed'),
    ...deps.hub,
  });
  // Open streams would hold the server's close forever: end them first (clients reconnect and resume).
  app.addHook('preClose', async () => hub.close());

  app.get('/api/events', { ...(deps.streamGuard ? { onRequest: deps.streamGuard } : {}) }, async (request, reply) => {
    const query = schemas.streamQuery.safeParse(request.query);
    if (!query.success) return invalid(reply, query.error);
    const header = request.headers['last-event-id'];
    const resume = (typeof header === 'string' && header.trim() !== '' ? header : undefined) ?? query.data.lastEventId;
    const from = resume === undefined ? undefined : parsePosition(resume);
    if (resume !== undefined && !from)
      return reply.code(400).send({
        error: 'invalid request',
        details: [
          `Last-Event-ID: ${JSON.stringify(resume.slice(0, 60))} is not a stream position (<tx>.<id>, the id of a message of this stream)`,
        ],
      });
    if (hub.size >= deps.config.events.streamClients)
      return reply
        .code(503)
        .header('retry-after', String(STREAM_FULL_RETRY_AFTER_SECONDS))
        .send({
          error: `the live stream is at its limit of ${deps.config.events.streamClients} connections on this server (PAPERBOY_EVENT_STREAM_CLIENTS); try again later`,
        });
    const head = await hub.head();
    // A client only ever holds positions of settled events, and the head only moves forward: one past
    // it came from elsewhere (another deployment's stream, a database restored onto another server)
    // and would wait for nothing, silently.
    if (from && positionAfter(from, head))
      return reply.code(400).send({
        error: 'invalid request',
        details: [
          `Last-Event-ID: ${formatPosition(from)} is past the newest event of this stream (${formatPosition(head)}): not a position of this deployment; reconnect without it to start from now`,
        ],
      });
    const start = from ?? head;
    reply.hijack();
    // Fastify's hooks (helmet) set their headers on the reply: carried over to the raw answer.
    reply.raw.writeHead(200, {
      ...(reply.getHeaders() as OutgoingHttpHeaders),
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-accel-buffering': 'no',
      connection: 'keep-alive',
    });
    reply.raw.write(`retry: ${STREAM_RETRY_MS}\n: stream from ${formatPosition(start)}\n\n`);
    hub.add(reply.raw, { types: query.data.types ?? [], topics: query.data.topics ?? [] }, start);
  });

  const admin = { onRequest: deps.adminGuard };
  const pendingOf = async () => backlog.pendingEvents();
  const notFound = (reply: FastifyReply, id: number) =>
    reply.code(404).send({ error: `no webhook endpoint ${id} (GET /api/admin/webhooks lists them)` });
  const idOf = (params: unknown, reply: FastifyReply): number | undefined => {
    const parsed = schemas.idParams.safeParse(params);
    if (parsed.success) return parsed.data.id;
    void reply.code(400).send({ error: 'invalid request', details: ['id: a positive integer'] });
    return undefined;
  };
  const answer = async (reply: FastifyReply, id: number, endpoint: WebhookEndpoint | undefined, status = 200) => {
    if (!endpoint) return notFound(reply, id);
    return reply.code(status).send(webhookEndpointJson(endpoint, (await pendingOf()).get(endpoint.id) ?? 0));
  };

  app.get('/api/admin/webhooks', admin, async () => {
    const [list, pending] = await Promise.all([webhooks.list(), pendingOf()]);
    return { endpoints: list.map((e) => webhookEndpointJson(e, pending.get(e.id) ?? 0)) };
  });

  app.post('/api/admin/webhooks', admin, async (request, reply) => {
    const body = schemas.create.safeParse(request.body ?? {});
    if (!body.success) return invalid(reply, body.error);
    const secret = body.data.secret ?? newWebhookSecret();
    const endpoint = await webhooks.create({ ...body.data, secret });
    request.log.info({ endpoint: endpoint.id, url: endpoint.url }, 'webhook endpoint created');
    return reply.code(201).send({ ...webhookEndpointJson(endpoint, 0), secret });
  });

  app.get('/api/admin/webhooks/:id', admin, async (request, reply) => {
    const id = idOf(request.params, reply);
    return id === undefined ? reply : answer(reply, id, await webhooks.get(id));
  });

  app.patch('/api/admin/webhooks/:id', admin, async (request, reply) => {
    const id = idOf(request.params, reply);
    if (id === undefined) return reply;
    const body = schemas.change.safeParse(request.body ?? {});
    if (!body.success) return invalid(reply, body.error);
    return answer(reply, id, await webhooks.update(id, body.data));
  });

  app.delete('/api/admin/webhooks/:id', admin, async (request, reply) => {
    const id = idOf(request.params, reply);
    if (id === undefined) return reply;
    if (!(await webhooks.remove(id))) return notFound(reply, id);
    return reply.code(204).send();
  });

  app.post('/api/admin/webhooks/:id/enable', admin, async (request, reply) => {
    const id = idOf(request.params, reply);
    return id === undefined ? reply : answer(reply, id, await webhooks.setEnabled(id, true));
  });

  app.post('/api/admin/webhooks/:id/disable', admin, async (request, reply) => {
    const id = idOf(request.params, reply);
    if (id === undefined) return reply;
    const body = schemas.disableBody.safeParse(request.body ?? {});
    if (!body.success) return invalid(reply, body.error);
    return answer(reply, id, await webhooks.setEnabled(id, false, body.data.reason ?? 'disabled by an operator'));
  });

  app.post('/api/admin/webhooks/:id/replay', admin, async (request, reply) => {
    const id = idOf(request.params, reply);
    if (id === undefined) return reply;
    const body = schemas.replayBody.safeParse(request.body ?? {});
    if (!body.success) return invalid(reply, body.error);
    const since = parseReplaySince(body.data.since, now());
    if (!since) return reply.code(400).send({ error: 'invalid request', details: [`since: ${REPLAY_SINCE_FORMS}`] });
    const problem = replayRetentionProblem(
      since,
      deps.config.events.retentionDays,
      await backlog.oldestEventAt(),
      now(),
    );
    if (problem) return reply.code(400).send({ error: 'invalid request', details: [`since: ${problem}`] });
    const position = await events.positionBefore(since);
    const endpoint = await webhooks.rewind(id, position);
    if (!endpoint) return notFound(reply, id);
    const pendingEvents = (await pendingOf()).get(id) ?? 0;
    request.log.info({ endpoint: id, from: formatPosition(position), since }, 'webhook endpoint rewound for replay');
    return {
      endpoint: webhookEndpointJson(endpoint, pendingEvents),
      from: formatPosition(position),
      since: since.toISOString(),
      pendingEvents,
    };
  });

  return hub;
}
