export * from './schema.js';
export * from './connection.js';
export * from './repositories/paper.repository.js';
export * from './repositories/page-fetch.repository.js';
export * from './repositories/export.repository.js';
export * from './repositories/topic.repository.js';
export * from './repositories/crawl.repository.js';
export * from './repositories/archive.repository.js';
