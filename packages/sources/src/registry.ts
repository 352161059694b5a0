import { arxivListAdapter } from './arxiv-list/index.js';
import { arxivRssAdapter } from './arxiv-rss/index.js';
import { genericAdapter } from './generic/index.js';
import { hfApiAdapter } from './hf-api/index.js';
import { hfPapersAdapter } from './hf-papers/index.js';
import type { SourceAdapter } from './types.js';

/** Every adapter paperboy knows. A new source is one folder and one line here. */
const ADAPTERS: readonly SourceAdapter[] = [
  hfPapersAdapter,
  hfApiAdapter,
  arxivListAdapter,
  arxivRssAdapter,
  genericAdapter,
];

export interface AdapterRegistry {
  get(id: string): SourceAdapter;
  list(): readonly SourceAdapter[];
}

/** Index adapters by id; throws when two adapters share an id. */
export function buildRegistry(adapters: readonly SourceAdapter[]): AdapterRegistry {
  const byId = new Map<string, SourceAdapter>();
  for (const adapter of adapters) {
    if (byId.has(adapter.id)) throw new Error(`duplicate source adapter id "${adapter.id}"`);
    byId.set(adapter.id, adapter);
  }
  const list = Object.freeze([...adapters]);
  return {
    get(id) {
      const adapter = byId.get(id);
      if (!adapter) {
        throw new Error(`unknown source adapter "${id}"; known adapters: ${[...byId.keys()].join(', ')}`);
      }
      return adapter;
    },
    list: () => list,
  };
}

const registry = buildRegistry(ADAPTERS);

/** The adapter with this id; throws an error listing the known ids when there is none. */
export function getAdapter(id: string): SourceAdapter {
  return registry.get(id);
}

/** All registered adapters, in registration order. */
export function listAdapters(): readonly SourceAdapter[] {
  return registry.list();
}
