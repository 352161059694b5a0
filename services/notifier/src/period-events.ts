import { appendEventsByType, type Db, DigestRepository } from '@paperboy/db';
import { countEmittedEvents, type Metrics } from '@paperboy/metrics';
import { type OutboxEvent, outboxEvent } from '@paperboy/pipeline';

/**
 * digest.period_sent (issue 15): written in the transaction that finishes the last delivery of a
 * period. The periods' advisory locks make the finishing transactions of one period take turns, so
 * the last of them sees every other one committed and announces it: two chunks finishing at once
 * still make one event, and the dedupe key keeps a retried or swept announcement from making a second.
 */
export async function announceFinishedPeriods(
  trx: Db,
  deliveryIds: readonly number[],
): Promise<Record<string, number>> {
  const digests = new DigestRepository(trx);
  const periods = await digests.periodKeysOf(deliveryIds);
  return announcePeriods(trx, periods);
}

/** Announces each of `periods` that is done (DigestRepository.finishedPeriod), under the periods' locks. */
export async function announcePeriods(trx: Db, periods: readonly string[]): Promise<Record<string, number>> {
  if (periods.length === 0) return {};
  const digests = new DigestRepository(trx);
  const sorted = [...new Set(periods)].sort();
  await digests.lockPeriods(sorted);
  const events: OutboxEvent[] = [];
  for (const periodKey of sorted) {
    const done = await digests.finishedPeriod(periodKey);
    if (!done) continue;
    const frequency = periodKey.startsWith('weekly-') ? 'weekly' : 'daily';
    events.push(
      outboxEvent(
        'digest.period_sent',
        { frequency, periodKey, ...done },
        { dedupeKey: `digest.period_sent:${frequency}:${periodKey}` },
      ),
    );
  }
  return appendEventsByType(trx, events);
}

/**
 * Runs `finish` (which finishes deliveries and returns their ids) in a transaction that also
 * announces the periods it completed; counts the events once committed.
 */
export async function finishAnnouncing(
  db: Db,
  metrics: Metrics | undefined,
  finish: (trx: Db) => Promise<readonly number[]>,
): Promise<void> {
  const events = await db.transaction().execute(async (trx) => announceFinishedPeriods(trx, await finish(trx)));
  countEmittedEvents(metrics, events);
}

/**
 * The planner's sweep: periods of the last days not announced yet, each checked in its own
 * transaction (a period whose last delivery was finished without an announcement: by an
 * unsubscribe, a stuck delivery resolved, or a writer that died between commit and count).
 */
export async function sweepPeriods(db: Db, metrics: Metrics | undefined): Promise<number> {
  let announced = 0;
  for (const periodKey of await new DigestRepository(db).unannouncedPeriods()) {
    const events = await db.transaction().execute((trx) => announcePeriods(trx, [periodKey]));
    countEmittedEvents(metrics, events);
    announced += events['digest.period_sent'] ?? 0;
  }
  return announced;
}
