export * from './classify/index.js';
export * from './dates.js';
export * from './dedupe.js';
export * from './entry.js';
export * from './limits.js';
export * from './normalize.js';
export * from './provenance.js';
export * from './tokens.js';
