/** Builders for test fixtures from real captured data: fixture scripts, tests, benchmarks, the demo's pages. */

export {
  type AnnounceType,
  type ArxivFeedItem,
  type ArxivFeedSpec,
  renderArxivAtomFeed,
  renderArxivRssFeed,
} from './arxiv-feed.js';
export {
  type ArxivListing,
  type ArxivNewPageSpec,
  type LegacySection,
  renderArxivLegacyPage,
  renderArxivNewPage,
} from './arxiv-page.js';
export { csLgNew20260612, listingFromAtom, listingFromHf } from './datasets.js';
export { type FixtureExample, type FixtureExamples, readSourceExample, type SourceEntry } from './examples.js';
export { type HfPageSpec, renderHfPapersPage } from './hf-page.js';
export { escapeHtml } from './html.js';
export * from './real-data.js';
export { type FixtureFiles, writeWhenRunDirectly } from './write.js';
