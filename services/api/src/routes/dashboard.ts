import {
  DashboardRepository,
  type Db,
  type SourceReport,
  StuckDeliveryRepository,
  WebhookBacklogRepository,
  WebhookRepository,
} from '@paperboy/db';
import { webhookEndpointJson } from '@paperboy/pipeline';
import type { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import type { AdminGuard } from '../admin-guard.js';
import { dashboardPage } from '../pages/dashboard.js';
import { DASHBOARD_SCRIPT, DASHBOARD_SCRIPT_PATH } from '../pages/dashboard-live.js';
import { DASHBOARD_HELMET } from '../plugins/security-headers.js';
import type { AnswerCache } from '../read/cache.js';
import { sendAnswer } from '../read/respond.js';

function lastDays(n: number): string[] {
  const days: string[] = [];
  for (let i = n - 1; i >= 0; i--) days.push(new Date(Date.now() - i * 86_400_000).toISOString().slice(0, 10));
  return days;
}

/** GET /dashboard: trending papers by topic (titles linked to their canonical pages, code with stars), papers with code, topic trends over 30 days, source health, queue depths, stuck digests. */
export function registerDashboardPage(
  app: FastifyInstance,
  deps: {
    db: Db;
    /** The sources and their health, as /api/sources and `paperboy sources` list them. */
    sources: () => Promise<SourceReport[]>;
    queues: readonly Queue[];
    stuckMinutes: number;
    guard?: AdminGuard;
    /** The rendered page, a few seconds old at most (read/cache.ts). */
    cache: AnswerCache;
  },
): void {
  const dashboard = new DashboardRepository(deps.db);
  const stuck = new StuckDeliveryRepository(deps.db);
  const webhooks = new WebhookRepository(deps.db);
  const backlog = new WebhookBacklogRepository(deps.db);
  // The script holds nothing secret (what it shows comes from the guarded stream and page): served to anyone.
  app.get(DASHBOARD_SCRIPT_PATH, async (_request, reply) =>
    reply.type('text/javascript; charset=utf-8').header('cache-control', 'public, max-age=300').send(DASHBOARD_SCRIPT),
  );
  app.get(
    '/dashboard',
    { helmet: DASHBOARD_HELMET, ...(deps.guard ? { onRequest: deps.guard } : {}) },
    async (request, reply) => {
      const answer = await deps.cache.get('dashboard', async () => ({
        answer: { status: 200, contentType: 'text/html; charset=utf-8', payload: await renderPage() },
        cache: true,
      }));
      return sendAnswer(request, reply, answer);
    },
  );

  async function renderPage(): Promise<string> {
    const days = lastDays(30);
    const [trending, withCode, trends, health, refreshes, pending, queueCounts, stuckDigests, endpoints] =
      await Promise.all([
        dashboard.trendingNow(30),
        dashboard.papersWithCode(10),
        dashboard.topicTrends(30),
        deps.sources(),
        dashboard.refreshes(),
        dashboard.pendingDays(),
        Promise.all(
          deps.queues.map(async (q) => ({
            name: q.name,
            counts: await q.getJobCounts('waiting', 'active', 'delayed', 'failed'),
          })),
        ),
        stuck.countStuck(deps.stuckMinutes),
        Promise.all([webhooks.list(), backlog.pendingEvents()]).then(([list, pending]) =>
          list.map((e) => webhookEndpointJson(e, pending.get(e.id) ?? 0)),
        ),
      ]);
    const stuckMinutes = deps.stuckMinutes;
    // The listed papers' canonical links: one look-up by primary key.
    const links = await dashboard.paperLinkFields([
      ...new Set([...trending.map((p) => p.paperId), ...withCode.map((p) => p.paperId)]),
    ]);
    return dashboardPage({
      days,
      trending,
      trends,
      health,
      refreshes,
      pending,
      queueCounts,
      stuckDigests,
      stuckMinutes,
      links,
      withCode,
      webhooks: endpoints,
    });
  }
}
