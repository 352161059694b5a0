export * from './normalize.js';
export * from './entry.js';
export * from './dedupe.js';
export * from './classify/index.js';
export * from './tokens.js';
export * from './dates.js';
export * from './limits.js';
export * from './provenance.js';
