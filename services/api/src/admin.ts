import { createHmac, timingSafeEqual } from 'node:crypto';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { Queue } from 'bullmq';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

const COOKIE = 'paperboy_admin';

function sameToken(given: string | undefined, expected: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function cookieValue(request: FastifyRequest, name: string): string | undefined {
  const header = request.headers.cookie ?? '';
  for (const part of header.split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return decodeURIComponent(value.join('='));
  }
  return undefined;
}

/**
 * Bull Board at /admin/queues, behind the admin token: `Authorization: Bearer <token>`, or
 * `?token=<token>` once in a browser (kept in an HttpOnly cookie for the board's own requests).
 * Without PAPERBOY_ADMIN_TOKEN the board is not served at all.
 */
export async function registerQueueBoard(app: FastifyInstance, queues: readonly Queue[], adminToken: string | undefined): Promise<void> {
  if (!adminToken) return;
  // The cookie holds a value derived from the token, not the token: a leaked cookie does not give
  // away the token (which also works as a Bearer token from scripts).
  const cookieToken = createHmac('sha256', adminToken).update('paperboy admin board cookie').digest('base64url');
  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath('/admin/queues');
  createBullBoard({ queues: queues.map((q) => new BullMQAdapter(q)), serverAdapter });
  await app.register(async (scope) => {
    scope.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
      const bearer = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
      const query = (request.query as { token?: string } | undefined)?.token;
      if (sameToken(bearer, adminToken) || sameToken(cookieValue(request, COOKIE), cookieToken)) return;
      if (sameToken(query, adminToken)) {
        const secure = request.protocol === 'https' ? '; Secure' : ''; // behind a TLS proxy too (trustProxy)
        reply.header('set-cookie', `${COOKIE}=${cookieToken}; Path=/admin; HttpOnly; SameSite=Strict${secure}`);
        return;
      }
      return reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'admin token required' });
    });
    await scope.register(serverAdapter.registerPlugin(), { prefix: '/admin/queues' });
  });
}
