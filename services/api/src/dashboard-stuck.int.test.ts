import { createHash } from 'node:crypto';
import { loadConfig } from '@paperboy/config';
import { SubscriberRepository } from '@paperboy/db';
import { loadTaxonomy } from '@paperboy/pipeline';
import { createRedis } from '@paperboy/queue';
import { backdateDelivery, createTestDatabase, requireEnv, type TestDatabase } from '@paperboy/test-utils';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from './app.js';

// Stuck digests (claimed, never finished: the sender died mid-send) on the dashboard page.

let t: TestDatabase;
const redis = createRedis(requireEnv('TEST_REDIS_URL'), 'producer');
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  redis.disconnect();
  await t?.drop();
});

async function dashboard(env: Record<string, string> = {}) {
  const config = loadConfig({
    PAPERBOY_PUBLIC_DASHBOARD: '1',
    PAPERBOY_SECRET: 'dashboard-stuck-secret-Hq4Lr8Zx2Vm6Nb',
    ...env,
  });
  const app = await buildApi({ db: t.db, config, logger: pino({ level: 'silent' }), redis, taxonomy: loadTaxonomy() });
  try {
    return await app.inject({ url: '/dashboard' });
  } finally {
    await app.close();
  }
}

describe('dashboard: stuck digests', () => {
  it('shows how many deliveries are claimed longer than PAPERBOY_STUCK_DELIVERY_MINUTES, with what to do, inside the CSP', async () => {
    expect((await dashboard()).body).toContain('No stuck digests (none claimed over 15 minutes).');

    const subscribers = new SubscriberRepository(t.db);
    for (const [email, minutesAgo] of [
      ['a@example.org', 40],
      ['b@example.org', 20],
      ['c@example.org', 1],
    ] as const) {
      const { id } = await subscribers.subscribe(email, { topics: [], frequency: 'daily' }, 'active');
      const deliveryId = (await subscribers.planDelivery(id, 'daily-2026-12-06'))!;
      await subscribers.claimDelivery(deliveryId); // a notifier claimed it and died before finishing
      await backdateDelivery(t.db, deliveryId, { claimedMinutes: minutesAgo });
    }

    const res = await dashboard();
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('<p class="stuck-digests alert">2 stuck digests: claimed over 15 minutes ago');
    expect(res.body).toContain('pnpm paperboy digest resend-stuck --yes');
    expect((await dashboard({ PAPERBOY_STUCK_DELIVERY_MINUTES: '30' })).body).toContain(
      '1 stuck digest: claimed over 30 minutes ago',
    );
    // No inline script or style attribute (the one script is a file from here, /dashboard/live.js).
    expect(res.body).not.toMatch(/<script(?![^>]*\ssrc="\/)|\sstyle="|\son\w+=/i);
    const styleSrc = /style-src ([^;]*)/.exec(String(res.headers['content-security-policy']))?.[1] ?? '';
    for (const [, block] of res.body.matchAll(/<style>([\s\S]*?)<\/style>/g)) {
      expect(styleSrc).toContain(`'sha256-${createHash('sha256').update(block!).digest('base64')}'`);
    }
  });
});
