/** Builders for test fixtures from real captured data: fixture scripts, tests, benchmarks, the demo's pages. */
export { escapeHtml } from './html.js';
export * from './real-data.js';
export { renderHfPapersPage, type HfPageSpec } from './hf-page.js';
export { renderArxivLegacyPage, renderArxivNewPage, type ArxivListing, type ArxivNewPageSpec, type LegacySection } from './arxiv-page.js';
export { renderArxivAtomFeed, renderArxivRssFeed, type AnnounceType, type ArxivFeedItem, type ArxivFeedSpec } from './arxiv-feed.js';
export { csLgNew20260612, listingFromAtom, listingFromHf } from './datasets.js';
export { writeWhenRunDirectly, type FixtureFiles } from './write.js';
export { readSourceExample, type FixtureExample, type FixtureExamples, type SourceEntry } from './examples.js';
