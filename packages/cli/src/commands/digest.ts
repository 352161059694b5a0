import type { Config } from '@paperboy/config';
import { LinkSecretRepository, SubscriberRepository } from '@paperboy/db';
import type { Logger } from '@paperboy/logger';
import { addNotifier, buildDigestMail, DigestCandidates } from '@paperboy/notifier';
import { normalizeEmail } from '@paperboy/pipeline';
import { createQueueEvents, type PlanDigestsResult, type SendDigestsResult } from '@paperboy/queue';
import { UsageError } from '../args.js';
import { createCheckedContext, waitFor } from '../run-ingest.js';

export interface DigestSummary {
  planned: number;
  sent: number;
  skipped: number;
  failed: number;
  durationMs: number;
}

export async function digestRun(
  config: Config,
  options: { frequency?: string; now: boolean },
  logger: Logger,
): Promise<DigestSummary> {
  const frequencies = options.frequency === undefined ? (['daily', 'weekly'] as const) : [options.frequency];
  for (const f of frequencies)
    if (f !== 'daily' && f !== 'weekly')
      throw new UsageError(`digest run: --frequency must be daily or weekly, got ${JSON.stringify(f)}`, 'digest');
  const started = Date.now();
  const ctx = await createCheckedContext(config, logger);
  addNotifier(ctx, undefined, { webhooks: false }); // a one-off: no webhook deliveries holding its exit
  ctx.lifecycle.start();
  const planEvents = createQueueEvents('planning', { prefix: config.queuePrefix, redisUrl: config.redisUrl });
  const events = createQueueEvents('notify', { prefix: config.queuePrefix, redisUrl: config.redisUrl });
  try {
    await Promise.all([planEvents.waitUntilReady(), events.waitUntilReady()]);
    const summary: DigestSummary = { planned: 0, sent: 0, skipped: 0, failed: 0, durationMs: 0 };
    for (const frequency of frequencies) {
      const plan = await ctx.queues.add('plan-digests', {
        frequency: frequency as 'daily' | 'weekly',
        force: options.now,
      });
      const planned = await waitFor<PlanDigestsResult>(plan, planEvents);
      if (!planned.ok) throw new Error(`planning ${frequency} digests failed: ${planned.error}`);
      summary.planned += planned.value.planned;
      // Each send-digests job carries a chunk of deliveries: wait for every chunk (retries included),
      // then count by delivery row, which says what happened to each one whatever its job did.
      const jobs = await Promise.all(planned.value.sendJobIds.map((id) => ctx.queues.getJob('send-digests', id)));
      await Promise.all(jobs.map((job) => waitFor<SendDigestsResult>(job, events)));
      const statuses = await new SubscriberRepository(ctx.db).deliveryStatuses(
        jobs.flatMap((job) => job?.data.deliveryIds ?? []),
      );
      for (const status of statuses.values()) {
        if (status === 'sent') summary.sent++;
        else if (status === 'skipped') summary.skipped++;
        else summary.failed++;
      }
    }
    summary.durationMs = Date.now() - started;
    return summary;
  } finally {
    await Promise.all([planEvents.close(), events.close()]);
    await ctx.lifecycle.shutdown();
  }
}

export async function digestPreview(config: Config, rawEmail: string | undefined): Promise<string> {
  const email = normalizeEmail(rawEmail ?? '');
  if (!email)
    throw new UsageError(`digest preview: ${JSON.stringify(rawEmail ?? '')} is not an email address`, 'digest');
  const { createDb } = await import('@paperboy/db');
  const db = createDb(config.databaseUrl, { max: 1 });
  try {
    const subscribers = new SubscriberRepository(db);
    const subscriber = await subscribers.findByEmail(email);
    if (!subscriber) throw new UsageError(`digest preview: no subscriber ${email}`, 'digest');
    const papers = await new DigestCandidates(db, { ttlMs: 0, weights: config.ranking }).digestPapers(subscriber.id);
    const prefs = await subscribers.preferences(subscriber.id);
    const period = `${prefs?.frequency ?? 'daily'}-preview`;
    const secret = await new LinkSecretRepository(db).resolve(config.mail.secret);
    return buildDigestMail(
      { ...config.mail, secret },
      { id: subscriber.id, email, tokenVersion: subscriber.token_version },
      period,
      papers,
    ).html;
  } finally {
    await db.destroy();
  }
}
