/**
 * Per-fixture settings for the contract test and adapter tests. An adapter's fixture folder
 * (`test/fixtures/<id>/`) may have `examples.ts` exporting `fixtureExamples`: for a fixture file
 * name, the page URL to read it under and the options to read it with (required for adapters
 * that take options).
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

export interface FixtureExample {
  /** The URL the page was fetched from; default: the adapter's first example URL. */
  url?: string;
  /** Adapter options, as a sources file would give them (validated by the test with the adapter's schema). */
  options?: unknown;
}

export type FixtureExamples = Record<string, FixtureExample>;

/** One source of a sources file, as much of it as examples use. */
export interface SourceEntry {
  id: string;
  adapter: string;
  url: string;
  options?: unknown;
  [key: string]: unknown;
}

const EXAMPLES_DIR = new URL('../../examples/', import.meta.url);

/** The first source of `packages/sources/examples/<file>` (a sources file in YAML). */
export function readSourceExample(file: string): SourceEntry {
  const doc = parse(readFileSync(new URL(file, EXAMPLES_DIR), 'utf8')) as { sources?: unknown };
  const source = Array.isArray(doc.sources) ? (doc.sources[0] as Partial<SourceEntry> | undefined) : undefined;
  if (typeof source?.id !== 'string' || typeof source.adapter !== 'string' || typeof source.url !== 'string') {
    throw new Error(`${file}: expected "sources:" with an entry that has id, adapter and url`);
  }
  return source as SourceEntry;
}
