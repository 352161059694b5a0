// The API's public surface: the Fastify application on explicit dependencies, which its main.ts
// listens with and tests inject requests into. Everything else in src/ is internal.

/** Builds the API (subscription pages, read API, dashboard, feeds, admin, health and metrics) without listening. */
export { type ApiDeps, buildApi } from './app.js';
/** A subscriber's private feed link (RSS, Atom or JSON Feed), for the preferences page. */
export { privateFeedUrl } from './feeds/index.js';
