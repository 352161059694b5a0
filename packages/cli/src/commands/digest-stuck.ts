import type { Config } from '@paperboy/config';
import { createDb, type StuckDelivery, StuckDeliveryRepository, SubscriberRepository } from '@paperboy/db';
import type { Logger } from '@paperboy/logger';
import { addNotifier } from '@paperboy/notifier';
import { createQueueEvents, type SendDigestResult } from '@paperboy/queue';
import { UsageError } from '../args.js';
import { createCheckedContext, waitFor } from '../run-ingest.js';
import { AT_LEAST_ONCE } from './specs.js';

export { AT_LEAST_ONCE };

/** `--older-than <minutes>`, else PAPERBOY_STUCK_DELIVERY_MINUTES. */
export function parseOlderThan(raw: string | undefined, config: Config, action: string): number {
  if (raw === undefined) return config.mail.stuckMinutes;
  const minutes = /^\d+$/.test(raw.trim()) ? Number(raw) : Number.NaN;
  if (!Number.isInteger(minutes) || minutes < 1 || minutes > 10_080) {
    throw new UsageError(
      `digest ${action}: --older-than must be a whole number of minutes from 1 to 10080, got ${JSON.stringify(raw)}`,
      'digest',
    );
  }
  return minutes;
}

export interface StuckRow {
  deliveryId: number;
  email: string;
  periodKey: string;
  claimedAt: string;
  attempts: number;
  subscriberStatus: string;
}

const row = (d: StuckDelivery): StuckRow => ({
  deliveryId: d.deliveryId,
  email: d.email,
  periodKey: d.periodKey,
  claimedAt: new Date(d.claimedAt).toISOString(),
  attempts: d.attempts,
  subscriberStatus: d.subscriberStatus,
});

/** `digest stuck`: the deliveries claimed longer than `minutes`, oldest claim first. */
export async function digestStuck(config: Config, minutes: number): Promise<StuckRow[]> {
  const db = createDb(config.databaseUrl, { max: 1 });
  try {
    return (await new StuckDeliveryRepository(db).listStuck(minutes)).map(row);
  } finally {
    await db.destroy();
  }
}

export function formatStuckTable(rows: readonly StuckRow[], minutes: number): string {
  if (rows.length === 0) return `No stuck digests (none claimed over ${minutes} minutes).`;
  const header = ['delivery', 'email', 'period', 'claimed at', 'attempts', 'subscriber'];
  const cells = rows.map((r) => [
    String(r.deliveryId),
    r.email,
    r.periodKey,
    r.claimedAt.replace('T', ' ').slice(0, 19),
    String(r.attempts),
    r.subscriberStatus,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) =>
    c
      .map((v, i) => v.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [
    line(header),
    ...cells.map(line),
    '',
    `${rows.length} stuck digest${rows.length === 1 ? '' : 's'} (claimed over ${minutes} minutes, never finished): not sent again unless you run`,
    `\`pnpm paperboy digest resend-stuck --yes\` (${AT_LEAST_ONCE}).`,
  ].join('\n');
}

export interface ResendSummary {
  /** Stuck deliveries released and queued again. */
  resent: number;
  /** Stuck deliveries not re-sent: their subscriber is no longer active (finished as skipped). */
  skipped: number;
  /** Of the resent: sent now. */
  sent: number;
  /** Of the resent: nothing to send now (an empty digest, skipped by PAPERBOY_SKIP_EMPTY_DIGESTS). */
  empty: number;
  /** Of the resent: failed (a permanent SMTP refusal, or every retry used up). */
  failed: number;
  /** Of the resent: still claimed or planned when their jobs ended (e.g. claimed meanwhile by the old job of a dead notifier). */
  unfinished: number;
  durationMs: number;
}

/** Releases at most this many stuck deliveries per transaction (their send jobs are queued in it). */
const RELEASE_PAGE = 500;

/** How long a resend waits for sends that other jobs hold on its deliveries. */
const SETTLE_MS = 120_000;

/**
 * `digest resend-stuck --yes`: the stuck deliveries of active subscribers go back to planned and get
 * a send job each (a job id of their own: the old job may still be kept), in one transaction per page,
 * so a failed enqueue leaves them claimed and listed. A send job claims its delivery as any other, so
 * each is sent once by this run; two runs at once release each delivery once.
 */
export async function digestResendStuck(config: Config, minutes: number, logger: Logger): Promise<ResendSummary> {
  const started = Date.now();
  const ctx = await createCheckedContext(config, logger);
  addNotifier(ctx, undefined, { webhooks: false }); // a one-off: no webhook deliveries holding its exit
  ctx.lifecycle.start();
  const events = createQueueEvents('notify', { prefix: config.queuePrefix, redisUrl: config.redisUrl });
  try {
    await events.waitUntilReady();
    const stuck = new StuckDeliveryRepository(ctx.db);
    const skipped = await stuck.skipStuckOfInactive(minutes);
    const released: Array<{ deliveryId: number; jobId: string }> = [];
    for (;;) {
      const page = await ctx.db.transaction().execute(async (trx) => {
        const rows = await new StuckDeliveryRepository(trx).releaseStuck(minutes, RELEASE_PAGE);
        const jobs = rows.map((r) => ({
          jobId: `send-${r.deliveryId}-resend-${r.attempts}`,
          data: { deliveryId: r.deliveryId, subscriberId: r.subscriberId },
        }));
        await ctx.queues.addBulk('send-digest', jobs);
        return rows.map((r, i) => ({ deliveryId: r.deliveryId, jobId: jobs[i]!.jobId }));
      });
      released.push(...page);
      if (page.length < RELEASE_PAGE) break;
    }
    logger.warn(
      { resent: released.length, skipped, olderThanMinutes: minutes },
      `stuck digests released for a resend: ${AT_LEAST_ONCE}`,
    );
    await Promise.all(
      released.map(async (r) => waitFor<SendDigestResult>(await ctx.queues.getJob('send-digest', r.jobId), events)),
    );
    // Counted from the deliveries, not the job results: whichever job claimed a delivery, its row says
    // what happened. Another job may hold one (the dead sender's own job, retried as stalled by a
    // running notifier, can claim a released delivery first, and our job then ends "not claimed"):
    // wait a while for those sends to end too.
    const subscribers = new SubscriberRepository(ctx.db);
    const ids = released.map((r) => r.deliveryId);
    let statuses = await subscribers.deliveryStatuses(ids);
    const deadline = Date.now() + SETTLE_MS;
    while ([...statuses.values()].some((s) => s === 'claimed' || s === 'planned') && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      statuses = await subscribers.deliveryStatuses(ids);
    }
    const summary: ResendSummary = {
      resent: released.length,
      skipped,
      sent: 0,
      empty: 0,
      failed: 0,
      unfinished: 0,
      durationMs: 0,
    };
    for (const r of released) {
      const status = statuses.get(r.deliveryId);
      if (status === 'sent') summary.sent++;
      else if (status === 'skipped') summary.empty++;
      else if (status === 'failed') summary.failed++;
      else summary.unfinished++;
    }
    summary.durationMs = Date.now() - started;
    return summary;
  } finally {
    await events.close();
    await ctx.lifecycle.shutdown();
  }
}

/** Without `--yes`: nothing is sent; the refusal says how many would be and what that means. */
export async function refuseResendWithoutYes(config: Config, minutes: number): Promise<never> {
  const db = createDb(config.databaseUrl, { max: 1 });
  let count: number;
  try {
    count = await new StuckDeliveryRepository(db).countStuck(minutes);
  } finally {
    await db.destroy();
  }
  throw new UsageError(
    `digest resend-stuck: ${count} stuck digest${count === 1 ? '' : 's'} (claimed over ${minutes} minutes) would be sent again, ${AT_LEAST_ONCE}; ` +
      'review them with `digest stuck`, then pass --yes to send them',
    'digest',
  );
}
