export * from './services.js';
export * from './fixture-server.js';
