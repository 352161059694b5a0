import { DigestRepository, type Db } from '@paperboy/db';
import { jobLogger, type Logger } from '@paperboy/logger';
import type { Job, PlanDigestsPayload, PlanDigestsResult, Queues } from '@paperboy/queue';

/** Warnings logged per run for subscribers with an unknown time zone; the count covers them all. */
const MAX_ZONE_WARNINGS = 100;

/**
 * plan-digests: streams the subscribers whose digest is due (a page at a time, never all in
 * memory), plans one delivery each (a period already planned adds nothing, so a second run of the
 * planner sends nothing twice) and fans out one send job per new delivery with addBulk.
 * A subscriber whose time zone Postgres does not know is skipped and reported (a warning naming it,
 * a count in the result): one bad row never stops the period for everyone.
 */
export function createPlanDigestsHandler(deps: { db: Db; queues: Queues; logger: Logger }) {
  const digests = new DigestRepository(deps.db);
  return async (payload: PlanDigestsPayload, job: Job): Promise<PlanDigestsResult> => {
    const log = jobLogger(deps.logger, job);
    const unknown = await digests.unknownTimeZones(payload.frequency);
    for (const row of unknown.slice(0, MAX_ZONE_WARNINGS)) {
      log.warn({ subscriberId: row.subscriberId, timeZone: row.timeZone }, 'time zone unknown to Postgres: subscriber skipped (fix it on their preferences or with `subscribers add`)');
    }
    const sendJobIds: string[] = [];
    for await (const page of digests.streamDueSubscribers(payload.frequency, { force: payload.force ?? false })) {
      const planned = await digests.planDeliveries(page);
      const jobs = planned.map((d) => ({ jobId: `send-${d.deliveryId}`, data: { deliveryId: d.deliveryId, subscriberId: d.subscriberId } }));
      await deps.queues.addBulk('send-digest', jobs);
      sendJobIds.push(...jobs.map((j) => j.jobId));
    }
    log.info({ frequency: payload.frequency, planned: sendJobIds.length, unknownTimeZones: unknown.length }, 'digests planned');
    return { planned: sendJobIds.length, sendJobIds, unknownTimeZones: unknown.length };
  };
}
