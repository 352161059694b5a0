import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { MetricsHandler } from '@paperboy/metrics';
import type { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import { type AdminGuard, adminGuard } from '../admin-guard.js';

/** Operators' routes: /metrics and the queue board, both behind the admin token. */

const BOARD_CSP = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'", "'unsafe-inline'", 'https://fonts.googleapis.com'],
  fontSrc: ["'self'", 'https://fonts.gstatic.com'],
  imgSrc: ["'self'", 'data:'],
  connectSrc: ["'self'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
  baseUri: ["'self'"],
  objectSrc: ["'none'"],
};

/** GET /metrics (Prometheus sends the admin token as a Bearer token); logged at warn only, like the probes. */
export function registerMetrics(app: FastifyInstance, metrics: MetricsHandler, guard: AdminGuard): void {
  app.get('/metrics', { logLevel: 'warn', onRequest: guard }, async (_request, reply) =>
    reply.type(metrics.contentType).send(await metrics.body()),
  );
}

/**
 * Bull Board at /admin/queues, behind the admin token: `Authorization: Bearer <token>`, or
 * `?token=<token>` once in a browser (kept in an HttpOnly cookie for the board's own requests).
 * Without PAPERBOY_ADMIN_TOKEN the board is not served at all.
 */
export async function registerQueueBoard(
  app: FastifyInstance,
  queues: readonly Queue[],
  adminToken: string | undefined,
): Promise<void> {
  if (!adminToken) return;
  const guard = adminGuard(adminToken);
  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath('/admin/queues');
  createBullBoard({ queues: queues.map((q) => new BullMQAdapter(q)), serverAdapter });
  await app.register(async (scope) => {
    // The board is a React app (its scripts from here, Google fonts, style attributes): its own CSP.
    scope.addHook('onRoute', (route) => {
      route.config = {
        ...route.config,
        helmet: { contentSecurityPolicy: { useDefaults: false, directives: BOARD_CSP } },
      } as typeof route.config;
    });
    scope.addHook('onRequest', guard);
    await scope.register(serverAdapter.registerPlugin(), { prefix: '/admin/queues' });
  });
}
