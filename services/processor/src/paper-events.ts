import type { PaperSnapshot } from '@paperboy/db';
import {
  type EventPaper,
  type OutboxEvent,
  outboxEvent,
  PAPER_UPDATE_FIELDS,
  type PaperUpdateField,
} from '@paperboy/pipeline';

/**
 * The paper events of a write (issue 15), computed from snapshots the writing transaction took
 * before and after it (PaperRepository.snapshotPapers): pure, so what counts as a change is tested
 * without a database. The caller appends the rows in the same transaction.
 */

/** The paper as events carry it. */
export function eventPaper(paper: PaperSnapshot): EventPaper {
  return {
    id: paper.id,
    arxivId: paper.arxivId,
    title: paper.title,
    authors: paper.authors,
    url: paper.url,
    upvotes: paper.upvotes,
    topics: paper.topics,
    firstSeenAt: paper.firstSeenAt,
  };
}

const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/** Each PAPER_UPDATE_FIELDS field whose stored value differs, with its value before and after; empty when none does. */
export function paperChanges(
  before: PaperSnapshot,
  after: PaperSnapshot,
): Partial<Record<PaperUpdateField, { from: unknown; to: unknown }>> {
  const changes: Partial<Record<PaperUpdateField, { from: unknown; to: unknown }>> = {};
  for (const field of PAPER_UPDATE_FIELDS) {
    if (!same(before[field], after[field])) changes[field] = { from: before[field] ?? null, to: after[field] ?? null };
  }
  return changes;
}

/** The thresholds crossed upward from `from` (null: none known) to `to`, lowest first: from < T <= to. */
export function thresholdsCrossed(from: number | null, to: number | null, thresholds: readonly number[]): number[] {
  if (to === null) return [];
  return [...new Set(thresholds)].filter((t) => (from === null || from < t) && t <= to).sort((a, b) => a - b);
}

/** A paper.updated when something in PAPER_UPDATE_FIELDS changed, else nothing. */
export function updatedEvent(before: PaperSnapshot, after: PaperSnapshot): OutboxEvent[] {
  const changes = paperChanges(before, after);
  if (Object.keys(changes).length === 0) return [];
  return [
    outboxEvent('paper.updated', { paper: eventPaper(after), changes }, { paperId: after.id, topics: after.topics }),
  ];
}

/** A paper.trending (upvotes) per threshold crossed, each announced once ever (its dedupe key). */
export function upvoteEvents(
  previousUpvotes: number | null,
  after: PaperSnapshot,
  thresholds: readonly number[],
): OutboxEvent[] {
  return thresholdsCrossed(previousUpvotes, after.upvotes, thresholds).map((threshold) =>
    outboxEvent(
      'paper.trending',
      { paper: eventPaper(after), reason: 'upvotes', threshold, rank: null },
      { paperId: after.id, topics: after.topics, dedupeKey: `paper.trending:upvotes:${after.id}:${threshold}` },
    ),
  );
}

/** What a batch changed, in the order it happened per paper: created, then updated, then thresholds crossed. */
export function batchPaperEvents(input: {
  /** Papers the batch inserted, with where they were first seen. */
  created: ReadonlyArray<{ paperId: number; source: string; listing: string | null; rank: number | null }>;
  /** Papers the batch merged into, as they were before (locked). */
  before: ReadonlyMap<number, PaperSnapshot>;
  /** Every paper of the batch as the transaction left it. */
  after: ReadonlyMap<number, PaperSnapshot>;
  upvoteThresholds: readonly number[];
}): OutboxEvent[] {
  const events: OutboxEvent[] = [];
  for (const { paperId, source, listing, rank } of input.created) {
    const paper = input.after.get(paperId);
    if (!paper) continue;
    events.push(
      outboxEvent(
        'paper.created',
        { paper: eventPaper(paper), source, listing, rank },
        { paperId, topics: paper.topics },
      ),
      ...upvoteEvents(null, paper, input.upvoteThresholds),
    );
  }
  for (const [paperId, before] of input.before) {
    const after = input.after.get(paperId);
    if (!after) continue;
    events.push(...updatedEvent(before, after), ...upvoteEvents(before.upvotes, after, input.upvoteThresholds));
  }
  return events;
}
