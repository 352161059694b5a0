export * from './features.js';
export * from './ranking.js';
export * from './reader-model.js';
