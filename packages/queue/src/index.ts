export { DelayedError, type Job, type Queue, type QueueEvents, UnrecoverableError, type Worker } from 'bullmq';
export { quickRawEntryCheck } from './batch-check.js';
export * from './connection.js';
export * from './jobs.js';
export * from './queues.js';
export * from './schedules.js';
