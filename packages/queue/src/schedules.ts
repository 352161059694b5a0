import type { RepeatOptions } from 'bullmq';
import type { JobName, JobPayload } from './jobs.js';

/** When a scheduled job runs: `{ every: ms }`, or `{ pattern: cron, tz }`. */
export type Repeat = Omit<RepeatOptions, 'key'>;

/**
 * One job scheduler as a process declares it: its id, the job it runs (by name: the queue and the
 * job options follow from it; the payload is checked against that job's type), and when. Services
 * describe their schedules with this, so that the same list serves the declaration on boot
 * (`Queues.declareSchedules`) and the later checks that re-declare what an emptied Redis lost
 * (`Queues.redeclareMissingSchedules`).
 */
export type Schedule = { [N in JobName]: { name: N; id: string; repeat: Repeat; payload: JobPayload<N> } }[JobName];
