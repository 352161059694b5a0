export * from './schemas.js';
export * from './signature.js';
