export * from './endpoint.js';
export * from './schemas.js';
export * from './signature.js';
