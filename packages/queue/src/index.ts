export * from './jobs.js';
export * from './connection.js';
export * from './queues.js';
export * from './schedules.js';
export { DelayedError, UnrecoverableError, type Job, type Worker, type Queue, type QueueEvents } from 'bullmq';
