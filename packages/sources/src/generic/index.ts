import type { CheerioAPI } from 'cheerio';
import { type AnyNode, type Element, isTag, isText } from 'domhandler';
import { elementText, walkElements } from '../dom-text.js';
import { PageTooComplexError } from '../page.js';
import { absoluteUrl, capText, cleanText, TEXT_LIMITS, toInt } from '../text.js';
import type { ExtractResult, Page, RawEntry, SourceAdapter } from '../types.js';
import { compilePath, type PathStep, resolvePath } from './json-path.js';
import {
  type FieldMap,
  type FieldSpec,
  GENERIC_FIELDS,
  type GenericCssOptions,
  type GenericField,
  type GenericJsonOptions,
  type GenericOptions,
  genericOptionsSchema,
  type JsonFieldSpec,
  LIST_FIELDS,
} from './options.js';

export {
  type FieldSelector,
  type FieldSpec,
  type GenericCssOptions,
  type GenericField,
  type GenericJsonOptions,
  type GenericOptions,
  genericOptionsSchema,
  type JsonFieldPath,
  type JsonFieldSpec,
} from './options.js';

export const genericAdapter: SourceAdapter<GenericOptions> = {
  id: 'generic',
  description:
    'Any listing page, configured instead of coded: CSS selectors for the items and their fields, or a path to the items in JSON (a JSON body, a <script>, or an attribute such as data-props)',
  accepts: ['text/html', 'application/json'],
  exampleUrls: ['https://github.com/trending'],
  options: genericOptionsSchema,
  extract: (page, options) => extractGeneric(page, options),
};

/** The strings a field's spec finds in one item, before conversion (pattern and template applied). */
type FieldReader<Item> = (item: Item) => string[];

/**
 * Entries of a listing page described by `options`, in page order. Never throws: options that
 * do not validate (a malformed selector, say) give zero entries and a warning naming the option.
 */
export function extractGeneric(page: Page, options: GenericOptions | undefined): ExtractResult {
  const problems = optionProblems(options);
  if (problems !== undefined) return warn(`invalid options: ${problems}`);
  const valid = options as GenericOptions;
  try {
    return 'json' in valid ? extractFromJson(page, valid.json) : extractWithSelectors(page, valid);
  } catch (error) {
    if (error instanceof PageTooComplexError) return warn(`page not read: ${error.message}`);
    // Validation catches bad selectors and patterns; this is the backstop the contract promises.
    return warn(`cannot apply the options (${(error as Error).message})`);
  }
}

// A source's options object is validated once, not on every page (selectors compile: ~0.5 ms).
const validated = new WeakMap<object, string | undefined>();

/** Why the options cannot be used ("fields.title: invalid CSS selector …"), or undefined. */
function optionProblems(options: unknown): string | undefined {
  const cacheable = typeof options === 'object' && options !== null;
  if (cacheable && validated.has(options)) return validated.get(options);
  const checked = genericOptionsSchema.safeParse(options);
  const problems = checked.success
    ? undefined
    : checked.error.issues.map((i) => `${i.path.length > 0 ? `${i.path.join('.')}: ` : ''}${i.message}`).join('; ');
  if (cacheable) validated.set(options, problems);
  return problems;
}

function extractWithSelectors(page: Page, options: GenericCssOptions): ExtractResult {
  const $ = page.$();
  const items = $(options.item).toArray().filter(isTag);
  if (items.length === 0) return warn(`item selector ${JSON.stringify(options.item)} matched nothing`);
  const find = matchesInItem($);
  const readers = compileFields(options.fields, (spec, field) => cssReader(find, spec, field));
  return buildEntries(items, readers, page.url);
}

type FindInItem = (item: Element, selector: string) => Element[];

/** Matches of a selector in an item (`""`: the item), found once per item when fields share a selector. */
function matchesInItem($: CheerioAPI): FindInItem {
  let current: Element | undefined;
  const found = new Map<string, Element[]>();
  return (item, selector) => {
    if (item !== current) {
      current = item;
      found.clear();
    }
    let matches = found.get(selector);
    if (!matches) {
      matches = selector.trim() === '' ? [item] : $(item).find(selector).toArray();
      found.set(selector, matches);
    }
    return matches;
  };
}

function cssReader(find: FindInItem, spec: FieldSpec, field: GenericField): FieldReader<Element> {
  const { selector, attr, pattern, template, all } = typeof spec === 'string' ? { selector: spec } : spec;
  const shape = valueShaper(pattern, template);
  // htmlparser2 lower-cases attribute names in HTML.
  const attribute = attr?.toLowerCase();
  const every = all ?? LIST_FIELDS.has(field);
  return (item) => {
    const values: string[] = [];
    for (const el of find(item, selector)) {
      const value = shape(attribute === undefined ? elementText(el) : el.attribs[attribute]?.trim());
      if (value === undefined) continue;
      values.push(value);
      if (!every) break;
    }
    return values;
  };
}

function extractFromJson(page: Page, spec: GenericJsonOptions['json']): ExtractResult {
  const steps = compilePath(spec.path) ?? [];
  const readers = compileFields(spec.fields, (field, name) => jsonReader(field, name));
  const where = JSON.stringify(spec.path);

  const bodyIsJson = /\bjson\b/i.test(page.contentType ?? '') || (spec.script === undefined && spec.attr === undefined);
  if (bodyIsJson) {
    let body: unknown;
    try {
      body = page.json();
    } catch (error) {
      return warn(
        `body is not valid JSON (${(error as Error).message}); for JSON inside HTML give json.script or json.attr`,
      );
    }
    const items = itemsAt(body, steps);
    if (items.length === 0) return warn(`json.path ${where} found no items in the body`);
    return buildEntries(items, readers, page.url);
  }

  const holders = jsonHolders(page.$(), spec.script, spec.attr);
  if (holders.length === 0) {
    return warn(
      spec.script === undefined
        ? `no element has a ${spec.attr} attribute`
        : `json.script ${JSON.stringify(spec.script)} matched nothing`,
    );
  }
  let invalid = 0;
  for (const holder of holders) {
    const text = spec.attr === undefined ? rawText(holder) : holder.attribs[spec.attr.toLowerCase()];
    let parsed: unknown;
    try {
      parsed = JSON.parse(text ?? '');
    } catch {
      invalid++;
      continue;
    }
    const items = itemsAt(parsed, steps);
    if (items.length > 0) return buildEntries(items, readers, page.url);
  }
  const notJson = invalid > 0 ? ` (${invalid} of them not valid JSON)` : '';
  return warn(`json.path ${where} found no items in the JSON of ${holders.length} elements${notJson}`);
}

/** Elements that may hold the JSON, in document order: the `script` matches, or every element with `attr`. */
function jsonHolders($: CheerioAPI, script: string | undefined, attr: string | undefined): Element[] {
  if (script !== undefined) {
    const matches = $(script).toArray().filter(isTag);
    return attr === undefined ? matches : matches.filter((el) => el.attribs[attr.toLowerCase()] !== undefined);
  }
  const name = (attr ?? '').toLowerCase();
  const holders: Element[] = [];
  for (const top of $.root()[0]?.children ?? []) {
    if (!isTag(top)) continue;
    if (top.attribs[name] !== undefined) holders.push(top);
    walkElements(top, (el) => {
      if (el.attribs[name] !== undefined) holders.push(el);
    });
  }
  return holders;
}

/** The text inside an element as it is (a `<script>` body), not cleaned. */
function rawText(node: AnyNode): string {
  if (isText(node)) return node.data;
  return isTag(node) ? node.children.map(rawText).join('') : '';
}

/** The items a path reaches: the elements of the array it ends at (of each array, through `[*]`). */
function itemsAt(json: unknown, steps: readonly PathStep[]): unknown[] {
  return resolvePath(json, steps).flatMap((v) => (Array.isArray(v) ? v : [v]));
}

function jsonReader(spec: JsonFieldSpec, field: GenericField): FieldReader<unknown> {
  const { path, pattern, template } = typeof spec === 'string' ? { path: spec } : spec;
  const steps = compilePath(path) ?? [];
  const shape = valueShaper(pattern, template);
  const every = LIST_FIELDS.has(field);
  return (item) => {
    const values: string[] = [];
    for (const found of resolvePath(item, steps).flat()) {
      const value = shape(
        typeof found === 'string'
          ? found
          : typeof found === 'number' && Number.isFinite(found)
            ? String(found)
            : undefined,
      );
      if (value === undefined) continue;
      values.push(value);
      if (!every) break;
    }
    return values;
  };
}

/** Pattern (first capture group, else the whole match) then template; undefined when nothing is left. */
function valueShaper(
  pattern: string | undefined,
  template: string | undefined,
): (raw: string | undefined) => string | undefined {
  const regex = pattern === undefined ? undefined : new RegExp(pattern);
  return (raw) => {
    if (raw === undefined || raw === '') return undefined;
    let value = raw;
    if (regex) {
      // The pattern is the operator's and may backtrack; the page decides how long the text is.
      const match = regex.exec(capText(raw, TEXT_LIMITS.patternInput));
      if (!match) return undefined;
      value = match[1] ?? match[0];
      if (value === '') return undefined;
    }
    return template === undefined ? value : template.replace('{}', () => value);
  };
}

function compileFields<Spec, Item>(
  fields: FieldMap<Spec>,
  reader: (spec: Spec, field: GenericField) => FieldReader<Item>,
): Array<[GenericField, FieldReader<Item>]> {
  const readers: Array<[GenericField, FieldReader<Item>]> = [];
  for (const field of GENERIC_FIELDS) {
    const spec = fields[field];
    if (spec !== undefined) readers.push([field, reader(spec, field)]);
  }
  return readers;
}

/**
 * One entry per item, in order. Items without a title are kept (the processor rejects them
 * with their raw data) and counted; repeats of an externalId keep the first.
 */
function buildEntries<Item>(
  items: readonly Item[],
  readers: Array<[GenericField, FieldReader<Item>]>,
  pageUrl: string,
): ExtractResult {
  const entries: RawEntry[] = [];
  const seen = new Set<string>();
  const found = new Map<GenericField, number>(readers.map(([field]) => [field, 0]));
  let withoutTitle = 0;
  let repeated = 0;
  for (const item of items) {
    const entry: RawEntry = { rank: entries.length + 1 };
    let id: string | undefined;
    for (const [field, read] of readers) {
      const values = read(item);
      // Ids are not cut (a cut id could name another item); no pattern runs over them, and the processor bounds them.
      if (field === 'id') id = cleanText(values.join(' ')) || undefined;
      const usable = field === 'id' ? id !== undefined : setField(entry, field, values, pageUrl);
      if (usable) found.set(field, (found.get(field) ?? 0) + 1);
    }
    const externalId = id ?? entry.url ?? entry.title;
    if (externalId !== undefined) {
      if (seen.has(externalId)) {
        repeated++;
        continue;
      }
      seen.add(externalId);
      entry.externalId = externalId;
    }
    if (entry.title === undefined) withoutTitle++;
    entries.push(entry);
  }

  const warnings: string[] = [];
  if (withoutTitle > 0)
    warnings.push(`generic: ${withoutTitle} of ${items.length} items have no title (kept without one)`);
  for (const [field, count] of found) {
    if (count === 0 && field !== 'title')
      warnings.push(`generic: field "${field}" found nothing in any of the ${items.length} items`);
  }
  if (repeated > 0) warnings.push(`generic: ${repeated} repeated items (same id) were skipped`);
  return { entries, warnings };
}

/** Convert a field's strings into the entry; false when nothing usable was found. */
function setField(
  entry: RawEntry,
  field: Exclude<GenericField, 'id'>,
  values: readonly string[],
  pageUrl: string,
): boolean {
  switch (field) {
    case 'authors':
    case 'categories': {
      const max = field === 'authors' ? TEXT_LIMITS.author : TEXT_LIMITS.label;
      const list = values.map((v) => capText(cleanText(v), max)).filter(Boolean);
      if (list.length === 0) return false;
      entry[field] = field === 'categories' ? [...new Set(list)] : list;
      return true;
    }
    case 'url': {
      const url = firstConverted(values, (v) => absoluteUrl(v, pageUrl));
      if (url !== undefined) entry.url = url;
      return url !== undefined;
    }
    case 'upvotes':
    case 'comments': {
      const count = firstConverted(values, toInt);
      if (count !== undefined) entry[field] = count;
      return count !== undefined;
    }
    case 'publishedAt': {
      const date = firstConverted(values, isoDate);
      if (date !== undefined) entry.publishedAt = date;
      return date !== undefined;
    }
    default: {
      // One value, or with `all: true` every match's text, joined (an abstract in several <p>).
      const text = capText(cleanText(values.join(' ')), TEXT_LIMITS[TEXT_FIELD_LIMIT[field]]);
      if (text) entry[field] = text;
      return text !== '';
    }
  }
}

/** The first value that converts (several values only with `all: true`). */
function firstConverted<T>(values: readonly string[], convert: (value: string) => T | undefined): T | undefined {
  for (const value of values) {
    const converted = convert(value);
    if (converted !== undefined) return converted;
  }
  return undefined;
}

// Which of TEXT_LIMITS bounds each text field.
const TEXT_FIELD_LIMIT = { title: 'title', abstract: 'abstract', arxivId: 'label', section: 'label' } as const;

function isoDate(value: string): string | undefined {
  if (value.length > TEXT_LIMITS.label) return undefined;
  const time = Date.parse(value);
  return Number.isNaN(time) ? undefined : new Date(time).toISOString();
}

function warn(message: string): ExtractResult {
  return { entries: [], warnings: [`generic: ${message}`] };
}
