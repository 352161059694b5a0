import { type Db, DigestRepository, StuckDeliveryRepository } from '@paperboy/db';
import { jobLogger, type Logger } from '@paperboy/logger';
import type { Job, PlanDigestsPayload, PlanDigestsResult, Queues } from '@paperboy/queue';

/** Warnings logged per run for subscribers with an unknown time zone; the count covers them all. */
const MAX_ZONE_WARNINGS = 100;
/** A delivery still planned this long after planning may have lost its send job (Redis lost it, or addBulk failed). */
const REOFFER_AFTER_MINUTES = 10;

/**
 * plan-digests: streams the subscribers whose digest is due (a page at a time, never all in
 * memory), plans one delivery each (a period already planned adds nothing, so a second run of the
 * planner sends nothing twice) and fans out one send job per new delivery with addBulk.
 * A subscriber whose time zone Postgres does not know is skipped and reported (a warning naming it,
 * a count in the result): one bad row never stops the period for everyone.
 * With `stuckMinutes`, each run also warns about stuck deliveries (claimed longer than that: their
 * sender died mid-send), so they show up in the logs every 15 minutes until an operator resolves them.
 */
export function createPlanDigestsHandler(deps: { db: Db; queues: Queues; logger: Logger; stuckMinutes?: number }) {
  const digests = new DigestRepository(deps.db);
  const stuck = new StuckDeliveryRepository(deps.db);
  return async (payload: PlanDigestsPayload, job: Job): Promise<PlanDigestsResult> => {
    const log = jobLogger(deps.logger, job);
    const unknown = await digests.unknownTimeZones(payload.frequency);
    for (const row of unknown.slice(0, MAX_ZONE_WARNINGS)) {
      log.warn(
        { subscriberId: row.subscriberId, timeZone: row.timeZone },
        'time zone unknown to Postgres: subscriber skipped (fix it on their preferences or with `subscribers add`)',
      );
    }
    const sendJobIds: string[] = [];
    for await (const page of digests.streamDueSubscribers(payload.frequency, { force: payload.force ?? false })) {
      const planned = await digests.planDeliveries(page);
      const jobs = planned.map((d) => ({
        jobId: `send-${d.deliveryId}`,
        data: { deliveryId: d.deliveryId, subscriberId: d.subscriberId },
      }));
      await deps.queues.addBulk('send-digest', jobs);
      sendJobIds.push(...jobs.map((j) => j.jobId));
    }
    // A delivery is planned in Postgres before its job reaches Redis: one whose job was lost stays
    // planned, and no later run would plan it again. Offer each such delivery's job again (same id:
    // a no-op while the job exists; the claim keeps the send at most once).
    const unsent = await digests.plannedUnsent(REOFFER_AFTER_MINUTES);
    if (unsent.length > 0) {
      await deps.queues.addBulk(
        'send-digest',
        unsent.map((d) => ({
          jobId: `send-${d.deliveryId}`,
          data: { deliveryId: d.deliveryId, subscriberId: d.subscriberId },
        })),
      );
    }
    log.info(
      {
        frequency: payload.frequency,
        planned: sendJobIds.length,
        unknownTimeZones: unknown.length,
        reoffered: unsent.length,
      },
      'digests planned',
    );
    if (deps.stuckMinutes !== undefined) {
      const count = await stuck.countStuck(deps.stuckMinutes);
      if (count > 0) {
        log.warn(
          { stuckDeliveries: count, olderThanMinutes: deps.stuckMinutes },
          'stuck digests: claimed and never finished (a notifier died mid-send), not sent again by themselves; `paperboy digest stuck` lists them, `paperboy digest resend-stuck --yes` re-sends them (at least once)',
        );
      }
    }
    return { planned: sendJobIds.length, sendJobIds, unknownTimeZones: unknown.length, reoffered: unsent.length };
  };
}
