export * from './schemas.js';
export * from './signature.js';
export * from './endpoint.js';
