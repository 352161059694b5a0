export * from './endpoint.js';
export * from './examples.js';
export * from './json-schema.js';
export * from './schemas.js';
export * from './signature.js';
