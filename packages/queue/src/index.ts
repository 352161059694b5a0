export * from './jobs.js';
export * from './connection.js';
export * from './queues.js';
export { UnrecoverableError, type Job, type Worker, type Queue, type QueueEvents } from 'bullmq';
