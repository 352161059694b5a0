export * from './db-fixtures.js';
export * from './fixture-server.js';
export * from './private-postgres.js';
export * from './private-redis.js';
export * from './private-redis-cluster.js';
export * from './seeds.js';
export * from './services.js';
export * from './smtp-server.js';
