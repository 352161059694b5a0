import { createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

const COOKIE = 'paperboy_admin';

function sameToken(given: string | undefined, expected: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** A cookie's raw value: ours are base64url, so nothing is decoded (a malformed escape is just no match). */
function cookieValue(request: FastifyRequest, name: string): string | undefined {
  const header = request.headers.cookie ?? '';
  for (const part of header.split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return undefined;
}

export type AdminGuard = (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

/**
 * An onRequest hook that lets through requests with the admin token: `Authorization: Bearer
 * <token>` (scripts, Prometheus), or `?token=<token>` once in a browser, kept in an HttpOnly cookie
 * for the pages' next requests. Without PAPERBOY_ADMIN_TOKEN everything it guards is refused.
 */
export function adminGuard(adminToken: string | undefined, options: { bearerOnly?: boolean } = {}): AdminGuard {
  if (!adminToken) {
    return async (_request, reply) =>
      reply.code(401).send({
        error: 'admin token required: set PAPERBOY_ADMIN_TOKEN (16+ characters) and send it as a Bearer token',
      });
  }
  // The cookie holds a value derived from the token, not the token: a leaked cookie does not give
  // away the token (which also works as a Bearer token from scripts).
  const cookieToken = createHmac('sha256', adminToken).update('paperboy admin board cookie').digest('base64url');
  if (options.bearerOnly) {
    // Routes that change things (the webhook admin API): a browser sends the cookie with any request
    // to the site, a form posted from another page of the same site included (SameSite does not
    // separate ports or sibling subdomains); it never adds an Authorization header on its own.
    return async (request, reply) => {
      const bearer = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
      if (sameToken(bearer, adminToken)) return;
      return reply
        .code(401)
        .header('www-authenticate', 'Bearer')
        .send({ error: 'admin token required, as a header: Authorization: Bearer <PAPERBOY_ADMIN_TOKEN>' });
    };
  }
  return async (request, reply) => {
    const bearer = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
    const query = (request.query as { token?: unknown } | undefined)?.token;
    if (sameToken(bearer, adminToken) || sameToken(cookieValue(request, COOKIE), cookieToken)) return;
    if (typeof query === 'string' && sameToken(query, adminToken)) {
      const secure = request.protocol === 'https' ? '; Secure' : ''; // behind a TLS proxy too (PAPERBOY_TRUST_PROXY)
      // Path=/: the board, the dashboard and /metrics share it.
      reply.header('set-cookie', `${COOKIE}=${cookieToken}; Path=/; HttpOnly; SameSite=Strict${secure}`);
      return;
    }
    return reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'admin token required' });
  };
}
