import { DigestRepository, type Db } from '@paperboy/db';
import { jobLogger, type Logger } from '@paperboy/logger';
import type { Job, PlanDigestsPayload, PlanDigestsResult, Queues } from '@paperboy/queue';

/**
 * plan-digests: streams the subscribers whose digest is due (a page at a time, never all in
 * memory), plans one delivery each (a period already planned adds nothing, so a second run of the
 * planner sends nothing twice) and fans out one send job per new delivery with addBulk.
 */
export function createPlanDigestsHandler(deps: { db: Db; queues: Queues; logger: Logger }) {
  const digests = new DigestRepository(deps.db);
  return async (payload: PlanDigestsPayload, job: Job): Promise<PlanDigestsResult> => {
    const sendJobIds: string[] = [];
    for await (const page of digests.streamDueSubscribers(payload.frequency, { force: payload.force ?? false })) {
      const planned = await digests.planDeliveries(page);
      const jobs = planned.map((d) => ({ jobId: `send-${d.deliveryId}`, data: { deliveryId: d.deliveryId, subscriberId: d.subscriberId } }));
      await deps.queues.addBulk('send-digest', jobs);
      sendJobIds.push(...jobs.map((j) => j.jobId));
    }
    jobLogger(deps.logger, job).info({ frequency: payload.frequency, planned: sendJobIds.length }, 'digests planned');
    return { planned: sendJobIds.length, sendJobIds };
  };
}
