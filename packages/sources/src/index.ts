export type { ExtractResult, Page, RawEntry, SourceAdapter } from './types.js';
export { createPage, MAX_NESTING_DEPTH, PageTooComplexError } from './page.js';
export { buildRegistry, getAdapter, listAdapters, type AdapterRegistry } from './registry.js';
export { absoluteUrl, cleanText, stripDescriptor, TEXT_LIMITS, toInt } from './text.js';
export { extractHfPapers, hfPapersAdapter } from './hf-papers/index.js';
export { extractHfApi, hfApiAdapter } from './hf-api/index.js';
export { extractArxivList, arxivListAdapter } from './arxiv-list/index.js';
export { extractArxivFeed, arxivRssAdapter } from './arxiv-rss/index.js';
export {
  extractGeneric,
  genericAdapter,
  genericOptionsSchema,
  type FieldSelector,
  type FieldSpec,
  type GenericCssOptions,
  type GenericField,
  type GenericJsonOptions,
  type GenericOptions,
  type JsonFieldPath,
  type JsonFieldSpec,
} from './generic/index.js';
