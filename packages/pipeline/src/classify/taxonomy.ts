/**
 * Loading, validating and compiling a topic taxonomy (see taxonomy/default.yaml
 * for the file format).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { stem, tokenize } from './text.js';
import type { Taxonomy, TopicInfo } from './types.js';

/** Absolute path of the taxonomy shipped with the package. */
export const DEFAULT_TAXONOMY_PATH = fileURLToPath(new URL('../../taxonomy/default.yaml', import.meta.url));

/** Thrown for any problem with a taxonomy file; `issues` lists one line per problem. */
export class TaxonomyError extends Error {
  readonly issues: readonly string[];
  constructor(name: string, issues: readonly string[]) {
    super(`invalid taxonomy ${JSON.stringify(name)}:\n  ${issues.join('\n  ')}`);
    this.name = 'TaxonomyError';
    this.issues = issues;
  }
}

// ---------------------------------------------------------------------------
// Schema

const TOPIC_ID_RE = /^[a-z0-9][a-z0-9-]*$/;
const CATEGORY_RE = /^[A-Za-z][A-Za-z-]*(\.[A-Za-z][A-Za-z-]*)?$/;

const weightSchema = z.number().finite().positive();

const termSchema = z.preprocess(
  (v) => (typeof v === 'string' ? { term: v, weight: 1 } : v),
  z
    .object({
      term: z.string().trim().min(1),
      weight: weightSchema,
    })
    .strict(),
);

const categorySchema = z
  .object({
    id: z.string().regex(CATEGORY_RE, 'expected an arXiv category such as cs.CV or astro-ph'),
    weight: weightSchema,
  })
  .strict();

const topicSchema = z
  .object({
    id: z.string().regex(TOPIC_ID_RE, 'expected a lower-case slug such as rl-robotics'),
    label: z.string().trim().min(1),
    description: z.string().trim().min(1),
    keywords: z.array(termSchema).min(1),
    negative: z.array(termSchema).default([]),
    categories: z.array(categorySchema).default([]),
  })
  .strict();

const taxonomySchema = z
  .object({
    version: z.preprocess((v) => (typeof v === 'number' ? String(v) : v), z.string().trim().min(1)),
    threshold: z.number().min(0).lt(1).default(0.25),
    saturation: weightSchema.default(8),
    titleMultiplier: z.number().finite().min(0).default(2.5),
    maxEvidence: z.number().int().min(1).default(8),
    primaryCategoryMultiplier: z.number().finite().min(0).default(1),
    crossListMultiplier: z.number().finite().min(0).default(1),
    topics: z.array(topicSchema).min(1),
  })
  .strict();

type TaxonomyFile = z.infer<typeof taxonomySchema>;

// ---------------------------------------------------------------------------
// Error formatting

function formatPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out === '' ? p : `.${p}`;
  }
  return out === '' ? '(root)' : out;
}

const TYPE_NAMES: Record<string, string> = {
  number: 'a number',
  string: 'a string',
  array: 'a list',
  object: 'a mapping',
  boolean: 'true or false',
  integer: 'an integer',
};

function describeIssue(issue: z.ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type': {
      const expected = TYPE_NAMES[issue.expected] ?? issue.expected;
      if (issue.received === 'undefined') return `required, expected ${expected}`;
      return `expected ${expected}, got ${issue.received}`;
    }
    case 'unrecognized_keys':
      return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`;
    case 'too_small':
      if (issue.type === 'array') return `expected at least ${String(issue.minimum)} item(s)`;
      if (issue.type === 'string') return 'must not be empty';
      return `expected a number ${issue.inclusive ? '>=' : '>'} ${String(issue.minimum)}`;
    case 'too_big':
      return `expected a number ${issue.inclusive ? '<=' : '<'} ${String(issue.maximum)}`;
    case 'not_finite':
      return 'expected a finite number';
    default:
      return issue.message;
  }
}

// ---------------------------------------------------------------------------
// Compiled form

/** A keyword or negative rule, ready for matching. */
export interface CompiledTerm {
  /** Index of the owning topic. */
  readonly topic: number;
  /** Index in `CompiledTaxonomy.terms`. */
  readonly index: number;
  /** The term as written (lower-cased), used in evidence. */
  readonly term: string;
  /** Positive for keywords, negative for "unless" rules. */
  readonly weight: number;
  /** Stems of the words; for a prefix term the last entry is unused. */
  readonly stems: readonly string[];
  /** Raw lower-case prefix the last word must start with, or null. */
  readonly prefix: string | null;
  /** Evidence strings, built once: `title:"term"` / `abstract:"term"` (with a leading "-" for negative rules). */
  readonly titleLabel: string;
  readonly abstractLabel: string;
}

export interface CompiledCategory {
  readonly topic: number;
  readonly id: string;
  readonly weight: number;
}

/** Lookup structures built once per taxonomy. */
export interface CompiledTaxonomy {
  readonly terms: readonly CompiledTerm[];
  /** Terms whose first word is a whole word, keyed by that word's stem; longest first. */
  readonly byFirstStem: ReadonlyMap<string, readonly CompiledTerm[]>;
  /** One-word prefix terms, keyed by `prefixKey` of the prefix (its first three characters). */
  readonly byPrefix3: ReadonlyMap<number, readonly CompiledTerm[]>;
  /** Category rules keyed by lower-cased category id ("cs.cv", "astro-ph"). */
  readonly categories: ReadonlyMap<string, readonly CompiledCategory[]>;
  readonly topicCount: number;
  /** Memo of `describeToken` results; bounded, cleared when full. */
  readonly tokenCache: Map<string, TokenInfo>;
}

/** What the rules say about one word token of a text. */
export interface TokenInfo {
  readonly stem: string;
  /** Terms whose first word is this token's stem (longest first), if any. */
  readonly starts: readonly CompiledTerm[] | undefined;
  /** One-word prefix terms this token matches, if any. */
  readonly prefixes: readonly CompiledTerm[] | undefined;
}

const TOKEN_CACHE_LIMIT = 50_000;

/** Looks a token up in the compiled rules (memoised per taxonomy). */
export function describeToken(rules: CompiledTaxonomy, token: string): TokenInfo {
  let info = rules.tokenCache.get(token);
  if (info === undefined) {
    const s = stem(token);
    let prefixes: CompiledTerm[] | undefined;
    if (token.length >= 3) {
      const candidates = rules.byPrefix3.get(prefixKey(token));
      if (candidates !== undefined) {
        const hits = candidates.filter((t) => token.startsWith(t.prefix!));
        if (hits.length > 0) prefixes = hits;
      }
    }
    info = { stem: s, starts: rules.byFirstStem.get(s), prefixes };
    if (rules.tokenCache.size >= TOKEN_CACHE_LIMIT) rules.tokenCache.clear();
    rules.tokenCache.set(token, info);
  }
  return info;
}

/** Numeric key of a word's first three UTF-16 units (the word must have at least 3). */
export function prefixKey(word: string): number {
  return word.charCodeAt(0) * 4294967296 + word.charCodeAt(1) * 65536 + word.charCodeAt(2);
}

const compiledByTaxonomy = new WeakMap<Taxonomy, CompiledTaxonomy>();

/** The compiled rules of a taxonomy made by this module. */
export function compiledRules(taxonomy: Taxonomy): CompiledTaxonomy {
  const compiled = compiledByTaxonomy.get(taxonomy);
  if (!compiled) {
    throw new TypeError('classify: the taxonomy was not created by loadTaxonomy() or parseTaxonomy()');
  }
  return compiled;
}

function compileTerm(
  raw: string,
  topic: number,
  index: number,
  weight: number,
): { term: CompiledTerm } | { error: string } {
  const text = raw.trim().toLowerCase();
  const isPrefix = text.endsWith('*');
  const body = isPrefix ? text.slice(0, -1) : text;
  if (body.includes('*')) return { error: "'*' is only allowed at the end of a term" };
  const words = tokenize(body);
  if (words.length === 0) return { error: `term ${JSON.stringify(raw)} has no letters or digits` };
  let prefix: string | null = null;
  if (isPrefix) {
    if (/[^\p{L}\p{N}]$/u.test(body)) return { error: "'*' must directly follow a word" };
    prefix = words[words.length - 1]!;
    if (prefix.length < 3) return { error: "a prefix before '*' needs at least 3 letters" };
  }
  const sign = weight < 0 ? '-' : '';
  return {
    term: {
      topic,
      index,
      term: text,
      weight,
      stems: words.map(stem),
      prefix,
      titleLabel: `${sign}title:${JSON.stringify(text)}`,
      abstractLabel: `${sign}abstract:${JSON.stringify(text)}`,
    },
  };
}

function compile(data: TaxonomyFile): { compiled: CompiledTaxonomy } | { issues: string[] } {
  const issues: string[] = [];
  const terms: CompiledTerm[] = [];
  const byFirstStem = new Map<string, CompiledTerm[]>();
  const byPrefix3 = new Map<number, CompiledTerm[]>();
  const categories = new Map<string, CompiledCategory[]>();
  const seenIds = new Map<string, number>();

  data.topics.forEach((topic, t) => {
    const first = seenIds.get(topic.id);
    if (first !== undefined) {
      issues.push(`topics[${t}].id: duplicate topic id ${JSON.stringify(topic.id)} (already used by topics[${first}])`);
    } else {
      seenIds.set(topic.id, t);
    }
    const seenTerms = new Map<string, string>();
    const lists = [
      ['keywords', topic.keywords, 1],
      ['negative', topic.negative, -1],
    ] as const;
    for (const [field, list, sign] of lists) {
      list.forEach((entry, k) => {
        const path = `topics[${t}].${field}[${k}].term`;
        const result = compileTerm(entry.term, t, terms.length, sign * entry.weight);
        if ('error' in result) {
          issues.push(`${path}: ${result.error}`);
          return;
        }
        const key = `${result.term.stems.join(' ')}${result.term.prefix === null ? '' : '*'}`;
        const dup = seenTerms.get(key);
        if (dup !== undefined) {
          issues.push(`${path}: ${JSON.stringify(entry.term)} duplicates ${dup} in the same topic`);
          return;
        }
        seenTerms.set(key, path.replace(/\.term$/, ''));
        const term = result.term;
        terms.push(term);
        if (term.prefix !== null && term.stems.length === 1) {
          const key3 = prefixKey(term.prefix);
          const list3 = byPrefix3.get(key3) ?? [];
          list3.push(term);
          byPrefix3.set(key3, list3);
        } else {
          const firstStem = term.stems[0]!;
          const listF = byFirstStem.get(firstStem) ?? [];
          listF.push(term);
          byFirstStem.set(firstStem, listF);
        }
      });
    }
    topic.categories.forEach((cat, c) => {
      const key = cat.id.toLowerCase();
      const list = categories.get(key) ?? [];
      if (list.some((x) => x.topic === t)) {
        issues.push(`topics[${t}].categories[${c}].id: duplicate category ${JSON.stringify(cat.id)} in the same topic`);
        return;
      }
      list.push({ topic: t, id: cat.id, weight: cat.weight });
      categories.set(key, list);
    });
  });

  if (issues.length > 0) return { issues };
  // Longest terms first so that, within a topic, a phrase hides its own sub-words.
  for (const list of byFirstStem.values()) list.sort((a, b) => b.stems.length - a.stems.length || a.index - b.index);
  return {
    compiled: { terms, byFirstStem, byPrefix3, categories, topicCount: data.topics.length, tokenCache: new Map() },
  };
}

// ---------------------------------------------------------------------------
// Public API

/**
 * Parses, validates and compiles taxonomy YAML. `name` is used in error
 * messages and as `Taxonomy.name`. Throws `TaxonomyError`.
 */
export function parseTaxonomy(yamlText: string, name: string): Taxonomy {
  const doc = parseDocument(yamlText, { prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new TaxonomyError(
      name,
      doc.errors.map((e) => `YAML syntax error: ${e.message.split('\n')[0] ?? e.message}`),
    );
  }
  const raw: unknown = doc.toJS();
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new TaxonomyError(name, ["(root): expected a mapping with 'version' and 'topics'"]);
  }
  const parsed = taxonomySchema.safeParse(raw);
  if (!parsed.success) {
    throw new TaxonomyError(
      name,
      parsed.error.issues.map((issue) => `${formatPath(issue.path)}: ${describeIssue(issue)}`),
    );
  }
  const data = parsed.data;
  const result = compile(data);
  if ('issues' in result) throw new TaxonomyError(name, result.issues);

  const contentHash = createHash('sha256').update(JSON.stringify(data)).digest('hex').slice(0, 8);
  const topics: TopicInfo[] = data.topics.map((t) =>
    Object.freeze({ id: t.id, label: t.label, description: t.description }),
  );
  const taxonomy: Taxonomy = Object.freeze({
    name,
    version: `${data.version}+${contentHash}`,
    declaredVersion: data.version,
    contentHash,
    threshold: data.threshold,
    saturation: data.saturation,
    titleMultiplier: data.titleMultiplier,
    maxEvidence: data.maxEvidence,
    primaryCategoryMultiplier: data.primaryCategoryMultiplier,
    crossListMultiplier: data.crossListMultiplier,
    topics: Object.freeze(topics),
  });
  compiledByTaxonomy.set(taxonomy, result.compiled);
  return taxonomy;
}

/**
 * Reads a taxonomy file (default: the one shipped with the package), then
 * validates and compiles it. Load once and reuse the result: compiling is
 * the expensive part, classifying is cheap.
 */
export function loadTaxonomy(path: string = DEFAULT_TAXONOMY_PATH): Taxonomy {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new TaxonomyError(path, [`cannot read file: ${(err as Error).message}`]);
  }
  return parseTaxonomy(text, path);
}
