import { isConnectionLost, isStatementTimeout } from '@paperboy/db';
import { escapeHtml } from '@paperboy/mail';
import type { FastifyInstance } from 'fastify';
import type { ErrorAnswer } from '../contract/responses.js';
import { html, page } from '../pages/layout.js';
import { tooManyRequests } from '../pages/subscribe.js';

/**
 * The routes a person opens in a browser (links in mails, forms), each with what its 429 page says
 * they sent too many of: a failure or a limit there answers with a page, not JSON.
 */
const PAGE_ROUTES = new Map([
  ['/subscribe', 'subscribe requests'],
  ['/confirm', 'requests'],
  ['/unsubscribe', 'requests'],
  ['/preferences', 'requests'],
  ['/preferences/clear-learned', 'requests'],
  ['/preferences/sign-out', 'requests'],
  ['/feedback', 'feedback clicks'],
  ['/feedback/undo', 'feedback clicks'],
]);

/** Seconds a client is asked to wait when Postgres is unreachable (`Retry-After`): a restart takes about that. */
export const UNREACHABLE_RETRY_AFTER_SECONDS = 30;

/** Seconds a client is asked to wait after a read query ran out of time (`Retry-After`). */
export const TIMED_OUT_RETRY_AFTER_SECONDS = 5;

/**
 * A 5xx tells the client no internals (a raw SQL error names tables and columns); the log has them.
 * A read query Postgres cancelled (its statement_timeout, PAPERBOY_API_STATEMENT_TIMEOUT_MS, ran
 * out) is a 503 with Retry-After, not a 500: the server is busy, nothing is broken; logged as a warning.
 * So is a lost or refused Postgres connection (a restart, a failover): feed readers and API clients
 * back off instead of counting a failure. A page route answers either with a page.
 */
export function setErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: Error & { statusCode?: number }, request, reply) => {
    // What a person at a page route sent too many of; undefined for the API's JSON routes.
    const tooMany = PAGE_ROUTES.get(request.routeOptions.url ?? '');
    const pageRoute = tooMany !== undefined;
    if (error.statusCode === 429 && pageRoute) return html(reply, 429, tooManyRequests(tooMany));
    if (error.statusCode !== undefined && error.statusCode < 500) return reply.send(error);
    if (isStatementTimeout(error)) {
      request.log.warn({ err: error.message, url: request.routeOptions.url }, 'read query timed out');
      return reply
        .code(503)
        .header('retry-after', String(TIMED_OUT_RETRY_AFTER_SECONDS))
        .send({ error: 'the query took too long; try again later', requestId: request.id } satisfies ErrorAnswer);
    }
    if (isConnectionLost(error)) {
      // Postgres is unreachable (restarting, failing over): nothing is broken here, ask to come back.
      request.log.warn({ err: (error as Error).message, url: request.routeOptions.url }, 'Postgres unreachable');
      reply.header('retry-after', String(UNREACHABLE_RETRY_AFTER_SECONDS));
      if (pageRoute) return html(reply, 503, somethingWentWrong(request.id));
      return reply
        .code(503)
        .send({ error: 'the database is unreachable; try again later', requestId: request.id } satisfies ErrorAnswer);
    }
    request.log.error({ err: error }, 'request failed');
    if (pageRoute) return html(reply, 500, somethingWentWrong(request.id));
    return reply.code(500).send({ error: 'internal error', requestId: request.id } satisfies ErrorAnswer);
  });
}

/** What a person reads when a page failed on our side: nothing of the cause, the id that finds the log line. */
function somethingWentWrong(requestId: string): string {
  return page(
    'Something went wrong',
    `<p>paperboy could not complete this request: the problem is on our side. Please try again in a few minutes.</p>
<p>Reference: <code>${escapeHtml(requestId)}</code></p>`,
  );
}
