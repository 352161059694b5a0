import { type Db, DigestRepository, ReaderRepository, StuckDeliveryRepository } from '@paperboy/db';
import { jobLogger, type Logger } from '@paperboy/logger';
import type { Metrics } from '@paperboy/metrics';
import {
  contentJobId,
  type Job,
  type PlanDigestsPayload,
  type PlanDigestsResult,
  type Queues,
  trainReaderJobs,
} from '@paperboy/queue';
import { sweepPeriods } from '../period-events.js';

/** Warnings logged per run for subscribers with an unknown time zone; the count covers them all. */
const MAX_ZONE_WARNINGS = 100;
/** A delivery still planned this long after planning may have lost its send job (Redis lost it, or addBulk failed). */
const REOFFER_AFTER_MINUTES = 10;
/** Readers whose model is behind their feedback offered a training per run (the next run takes the rest). */
export const STALE_READERS_PER_RUN = 500;

/**
 * send-digests jobs for deliveries, `chunkSize` a job, in the order given. A job's id is a hash of its
 * delivery ids: offering the same chunk again is a no-op while its job exists.
 */
export function chunkJobs(deliveryIds: readonly number[], chunkSize: number) {
  const jobs: Array<{ jobId: string; data: { deliveryIds: number[] } }> = [];
  for (let start = 0; start < deliveryIds.length; start += chunkSize) {
    const chunk = deliveryIds.slice(start, start + chunkSize);
    jobs.push({ jobId: contentJobId('send-digests', ...chunk), data: { deliveryIds: chunk } });
  }
  return jobs;
}

/**
 * plan-digests: streams the subscribers whose digest is due (a page at a time, never all in
 * memory), plans one delivery each (a period already planned adds nothing, so a second run of the
 * planner sends nothing twice) and fans out one send-digests job per chunk of new deliveries
 * (PAPERBOY_MAIL_CHUNK_SIZE of them) with addBulk.
 * A subscriber whose time zone Postgres does not know is skipped and reported (a warning naming it,
 * a count in the result): one bad row never stops the period for everyone.
 * With `stuckMinutes`, each run also warns about stuck deliveries (claimed longer than that: their
 * sender died mid-send), so they show up in the logs every 15 minutes until an operator resolves them.
 * Each run also offers a train-reader job to readers whose model is behind their feedback (the API
 * enqueues one per word; this finds those Redis lost), STALE_READERS_PER_RUN at most.
 * And it announces the digest periods that are done but were not announced when their last
 * delivery finished (digest.period_sent: see period-events.ts).
 */
export function createPlanDigestsHandler(deps: {
  db: Db;
  queues: Queues;
  logger: Logger;
  stuckMinutes?: number;
  /** Deliveries per send-digests job (default 100). */
  chunkSize?: number;
  metrics?: Metrics;
}) {
  const chunkSize = deps.chunkSize ?? 100;
  const digests = new DigestRepository(deps.db);
  const stuck = new StuckDeliveryRepository(deps.db);
  const readers = new ReaderRepository(deps.db);
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
    let plannedCount = 0;
    for await (const page of digests.streamDueSubscribers(payload.frequency, { force: payload.force ?? false })) {
      const planned = await digests.planDeliveries(page);
      const jobs = chunkJobs(
        planned.map((d) => d.deliveryId),
        chunkSize,
      );
      await deps.queues.addBulk('send-digests', jobs);
      sendJobIds.push(...jobs.map((j) => j.jobId));
      plannedCount += planned.length;
    }
    // A delivery is planned in Postgres before its job reaches Redis: one whose job was lost stays
    // planned, and no later run would plan it again. Offer them again, in chunks by id (the same
    // still-planned set makes the same job ids: a no-op while those jobs exist; a chunk job that is
    // still queued keeps its own id, so its deliveries may be offered in a second job too, and the
    // claim keeps each send at most once whichever job gets there first).
    const unsent = await digests.plannedUnsent(REOFFER_AFTER_MINUTES);
    if (unsent.length > 0) {
      await deps.queues.addBulk(
        'send-digests',
        chunkJobs(
          unsent.map((d) => d.deliveryId).sort((a, b) => a - b),
          chunkSize,
        ),
      );
    }
    // An announcement that fails here is found again by the next run: planning goes on.
    const periodsAnnounced = await sweepPeriods(deps.db, deps.metrics).catch((error: unknown) => {
      log.warn({ err: (error as Error).message }, 'digest periods not announced: the next run tries again');
      return 0;
    });
    const stale = await readers.staleReaders(STALE_READERS_PER_RUN);
    await deps.queues.addBulk('train-reader', trainReaderJobs(stale));
    log.info(
      {
        frequency: payload.frequency,
        staleReaders: stale.length,
        planned: plannedCount,
        sendJobs: sendJobIds.length,
        unknownTimeZones: unknown.length,
        reoffered: unsent.length,
        periodsAnnounced,
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
    return {
      planned: plannedCount,
      sendJobIds,
      unknownTimeZones: unknown.length,
      reoffered: unsent.length,
      staleReaders: stale.length,
    };
  };
}
