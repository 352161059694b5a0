export * from './services.js';
export * from './fixture-server.js';
export * from './smtp-server.js';
export * from './seeds.js';
export * from './private-redis.js';
