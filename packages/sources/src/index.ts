export { arxivListAdapter, extractArxivList } from './arxiv-list/index.js';
export { arxivRssAdapter, extractArxivFeed } from './arxiv-rss/index.js';
export {
  extractGeneric,
  type FieldSelector,
  type FieldSpec,
  type GenericCssOptions,
  type GenericField,
  type GenericJsonOptions,
  type GenericOptions,
  genericAdapter,
  genericOptionsSchema,
  type JsonFieldPath,
  type JsonFieldSpec,
} from './generic/index.js';
export { extractHfApi, hfApiAdapter } from './hf-api/index.js';
export { extractHfPapers, hfPapersAdapter } from './hf-papers/index.js';
export { createPage, MAX_NESTING_DEPTH, PageTooComplexError } from './page.js';
export { type AdapterRegistry, buildRegistry, getAdapter, listAdapters } from './registry.js';
export { absoluteUrl, cleanText, stripDescriptor, TEXT_LIMITS, toInt } from './text.js';
export type { ExtractResult, Page, RawEntry, SourceAdapter } from './types.js';
