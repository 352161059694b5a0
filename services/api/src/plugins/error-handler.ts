import type { FastifyInstance } from 'fastify';
import { html } from '../pages/layout.js';
import { tooManyRequests } from '../pages/subscribe.js';

/** A 5xx tells the client no internals (a raw SQL error names tables and columns); the log has them. */
export function setErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: Error & { statusCode?: number }, request, reply) => {
    // The subscribe form is a page: a person who submits it too often reads a page, not JSON.
    if (error.statusCode === 429 && request.routeOptions.url === '/subscribe')
      return html(reply, 429, tooManyRequests());
    if (error.statusCode !== undefined && error.statusCode < 500) return reply.send(error);
    request.log.error({ err: error }, 'request failed');
    return reply.code(500).send({ error: 'internal error', requestId: request.id });
  });
}
