import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { getAdapter, listAdapters } from '@paperboy/sources';
import { isMap, isSeq, LineCounter, parseDocument, type YAMLError } from 'yaml';
import { z } from 'zod';

/**
 * The sources file: which listings to crawl, how often, and how politely. YAML or JSON (JSON is
 * YAML), path from PAPERBOY_SOURCES, default the shipped `services/fetcher/sources.yaml`.
 */

/**
 * The shipped sources file. It stays beside the fetcher, which crawls it and documents it; only
 * its format lives here, so that the CLI can read it without the fetcher's internals.
 */
export const DEFAULT_SOURCES_PATH = fileURLToPath(new URL('../../../services/fetcher/sources.yaml', import.meta.url));

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "90s", "5m", "1h30m", "2d", or a number of milliseconds. */
export function parseDuration(value: string | number): number | null {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : null;
  const text = value.trim();
  if (!/^(\d+(\.\d+)?(ms|s|m|h|d))+$/.test(text)) return null;
  let total = 0;
  for (const [, amount, unit] of text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)) total += Number(amount) * UNITS[unit!]!;
  return Math.round(total);
}

const duration = (what: string) =>
  z.union([z.string(), z.number()]).transform((value, ctx) => {
    const ms = parseDuration(value);
    if (ms === null) {
      ctx.addIssue({ code: 'custom', message: `${what}: expected a duration such as "90s", "5m", "1h" or "2d"` });
      return z.NEVER;
    }
    return ms;
  });

const CRON_FIELD = /^[\d*,/\-A-Za-z?LW#]+$/;

const scheduleSchema = z
  .object({
    every: duration('every').optional(),
    cron: z
      .string()
      .refine(
        (c) =>
          [5, 6].includes(c.trim().split(/\s+/).length) &&
          c
            .trim()
            .split(/\s+/)
            .every((f) => CRON_FIELD.test(f)),
        {
          message: 'expected a cron expression of 5 or 6 fields, e.g. "*/30 * * * *"',
        },
      )
      .optional(),
    tz: z.string().optional(),
    jitter: duration('jitter').default(0),
  })
  .strict()
  .refine((s) => (s.every === undefined) !== (s.cron === undefined), {
    message: 'give exactly one of "every" or "cron"',
  })
  // An `every` that is not a duration was reported as such: it is not also "less than 1m".
  .refine((s) => typeof s.every !== 'number' || s.every >= 60_000, {
    message: '"every" must be at least 1m',
    path: ['every'],
  });

const politenessSchema = z
  .object({
    concurrency: z.number().int().min(1).max(32).optional(),
    minDelay: duration('minDelay').optional(),
    robots: z.boolean().optional(),
  })
  .strict();

const TEMPLATE = /\{(date|week|month)(-\d+)?\}/g;

const sourceSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case letters, digits and -'),
    adapter: z.string(),
    url: z.string().optional(),
    urls: z.array(z.string()).min(1).optional(),
    schedule: scheduleSchema,
    enabled: z.boolean().default(true),
    politeness: politenessSchema.default({}),
    options: z.unknown().optional(),
  })
  .strict()
  .refine((s) => (s.url === undefined) !== (s.urls === undefined), { message: 'give exactly one of "url" or "urls"' });

const fileSchema = z
  .object({
    userAgent: z.string().min(1).optional(),
    defaults: z
      .object({ politeness: politenessSchema.default({}) })
      .strict()
      .default({}),
    hosts: z.record(z.string(), politenessSchema.omit({ robots: true })).default({}),
    sources: z.array(sourceSchema),
  })
  .strict();

/** How politely a request is made: requests at once and the gap between them per host, and whether robots.txt is honoured. */
export interface Politeness {
  concurrency: number;
  minDelayMs: number;
  robots: boolean;
}

/** One source of the file, validated, with its defaults applied. */
export interface SourceDefinition {
  id: string;
  adapter: string;
  /** URLs or URL templates (`{date}`, `{date-1}`, `{week}`, `{month}`). */
  urls: string[];
  schedule: { every?: number; cron?: string; tz?: string; jitterMs: number };
  enabled: boolean;
  /** This source's own overrides; the rest comes from its host's settings and the defaults. */
  politeness: Partial<Politeness>;
  options: unknown;
}

/** A parsed, validated sources file. */
export interface SourcesFile {
  path: string;
  userAgent: string | undefined;
  sources: SourceDefinition[];
  /** Politeness for a request: the defaults, then the host's settings (`host` or `host:port`), then the source's overrides. */
  politenessFor(url: URL, source?: SourceDefinition): Politeness;
}

export class SourcesFileError extends Error {
  constructor(
    readonly path: string,
    readonly problems: string[],
  ) {
    super(`invalid sources file ${path}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'SourcesFileError';
  }
}

const BUILT_IN_POLITENESS: Politeness = { concurrency: 1, minDelayMs: 5000, robots: true };

/** Reads and parses the sources file at `path` (default the shipped one); throws a `SourcesFileError` listing every problem. */
export function loadSourcesFile(path: string = DEFAULT_SOURCES_PATH): SourcesFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new SourcesFileError(path, [`cannot read it: ${(error as Error).message}`]);
  }
  return parseSourcesFile(text, path);
}

/**
 * Parses and validates in one pass: every problem of the file (shape, adapters, URLs, duplicates)
 * is reported at once, each with its field and that field's own line.
 */
export function parseSourcesFile(text: string, path: string): SourcesFile {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true });
  if (doc.errors.length) throw new SourcesFileError(path, doc.errors.map(syntaxProblem));
  const lineAt = (node: unknown): number | undefined => {
    const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
    return range ? lineCounter.linePos(range[0]).line : undefined;
  };
  /** The line of a field's key (`schedule:`), of a list item, or else of the nearest enclosing node. */
  const lineOf = (fieldPath: ReadonlyArray<string | number>): number | undefined => {
    for (let n = fieldPath.length; n > 0; n--) {
      const parent = doc.getIn(fieldPath.slice(0, n - 1), true);
      const last = fieldPath[n - 1];
      if (isMap(parent)) {
        const pair = parent.items.find(
          (p) => String((p.key as { value?: unknown } | null)?.value ?? p.key) === String(last),
        );
        if (pair) return lineAt(pair.key) ?? lineAt(pair.value);
      } else if (isSeq(parent) && typeof last === 'number' && parent.items[last]) return lineAt(parent.items[last]);
    }
    return lineAt(doc.contents);
  };
  const where = (fieldPath: ReadonlyArray<string | number>) => {
    const line = lineOf(fieldPath);
    const name =
      fieldPath
        .map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`))
        .join('')
        .replace(/^\./, '') || '(file)';
    return `${name}${line ? ` (line ${line})` : ''}`;
  };
  const problems: string[] = [];
  const report = (issues: readonly z.ZodIssue[], prefix: ReadonlyArray<string | number> = []) => {
    for (const issue of issues) {
      const at = [...prefix, ...issue.path];
      if (issue.code !== 'unrecognized_keys') problems.push(`${where(at)}: ${issue.message}`);
      // Each unknown field on its own line, with the known one it most looks like.
      else
        for (const key of issue.keys)
          problems.push(`${where([...at, key])}: unknown field "${key}"${didYouMean(key, knownFields(at))}`);
    }
  };

  // The file's shape first, its sources one by one: a mistake in one does not hide those of the others.
  const raw = doc.toJS() as unknown;
  const file = fileSchema.extend({ sources: z.array(z.unknown()) }).safeParse(raw);
  if (!file.success) report(file.error.issues);
  const rawSources = Array.isArray((raw as { sources?: unknown } | null)?.sources)
    ? (raw as { sources: unknown[] }).sources
    : [];
  const seen = new Set<string>();
  const adapterIds = listAdapters().map((a) => a.id);
  const sources = rawSources.map((item, index): SourceDefinition | null => {
    const at = (...rest: Array<string | number>) => where(['sources', index, ...rest]);
    const parsed = sourceSchema.safeParse(item);
    if (!parsed.success) report(parsed.error.issues, ['sources', index]);
    // What can be checked without the rest of the source being right is checked anyway.
    const fields = (item ?? {}) as Record<string, unknown>;
    if (typeof fields.id === 'string') {
      if (seen.has(fields.id)) problems.push(`${at('id')}: duplicate source id "${fields.id}"`);
      seen.add(fields.id);
    }
    let options: unknown = fields.options;
    if (typeof fields.adapter === 'string') {
      try {
        const adapter = getAdapter(fields.adapter);
        if (adapter.options) {
          const checked = adapter.options.safeParse(fields.options);
          if (checked.success) options = checked.data;
          else
            for (const issue of checked.error.issues)
              problems.push(`${at('options', ...issue.path)}: ${issue.message}`);
        } else if (fields.options !== undefined) {
          problems.push(`${at('options')}: adapter "${fields.adapter}" takes no options`);
        }
      } catch (error) {
        problems.push(`${at('adapter')}: ${(error as Error).message}${didYouMean(fields.adapter, adapterIds)}`);
      }
    }
    const urls = Array.isArray(fields.urls) ? fields.urls : typeof fields.url === 'string' ? [fields.url] : [];
    urls.forEach((url, i) => {
      if (typeof url !== 'string') return; // reported by the schema
      const field = Array.isArray(fields.urls) ? at('urls', i) : at('url');
      const concrete = url.replace(TEMPLATE, '2026-01-01');
      let ok = false;
      try {
        ok = ['http:', 'https:'].includes(new URL(concrete).protocol);
      } catch {
        ok = false;
      }
      if (!ok) problems.push(`${field}: ${JSON.stringify(url)} is not an http(s) URL`);
      const unknown = [...url.matchAll(/\{([^}]*)\}/g)]
        .map((m) => m[1])
        .filter((name) => !/^(date|week|month)(-\d+)?$/.test(name!));
      if (unknown.length)
        problems.push(`${field}: unknown placeholder {${unknown[0]}}; known: {date}, {date-1}, {week}, {month}`);
    });
    if (!parsed.success) return null;
    const s = parsed.data;
    return {
      id: s.id,
      adapter: s.adapter,
      urls: s.urls ?? [s.url!],
      schedule: { every: s.schedule.every, cron: s.schedule.cron, tz: s.schedule.tz, jitterMs: s.schedule.jitter },
      enabled: s.enabled,
      politeness: definedPoliteness(s.politeness),
      options,
    };
  });
  if (problems.length || !file.success) throw new SourcesFileError(path, problems);

  const data = file.data;
  const defaults = { ...BUILT_IN_POLITENESS, ...definedPoliteness(data.defaults.politeness) };
  const hosts = new Map(Object.entries(data.hosts).map(([host, p]) => [host.toLowerCase(), definedPoliteness(p)]));
  return {
    path,
    userAgent: data.userAgent,
    sources: sources as SourceDefinition[],
    politenessFor: (url, source) => ({
      ...defaults,
      ...(hosts.get(url.hostname.toLowerCase()) ?? {}),
      ...(hosts.get(url.host.toLowerCase()) ?? {}),
      ...(source?.politeness ?? {}),
    }),
  };
}

/** A YAML syntax error in full: its line, its message, and the lines it points at. */
function syntaxProblem(error: YAMLError): string {
  const pos = error.linePos?.[0];
  // With prettyErrors the message is "<what> at line L, column C:\n\n<excerpt>".
  const [head = '', ...excerpt] = error.message.split('\n');
  const what = head.replace(/ at line \d+, column \d+:$/, '');
  const context = excerpt.filter((line) => line.trim() !== '').map((line) => `      ${line}`);
  return [`line ${pos?.line ?? '?'}: ${what}${pos ? ` (column ${pos.col})` : ''}`, ...context].join('\n');
}

/** The fields an object of the file may have at a path (`sources[0].schedule`), from the schema itself. */
function knownFields(fieldPath: ReadonlyArray<string | number>): string[] {
  let schema: z.ZodTypeAny = fileSchema;
  const unwrap = (t: z.ZodTypeAny): z.ZodTypeAny => {
    if (t instanceof z.ZodEffects) return unwrap(t.innerType());
    if (t instanceof z.ZodDefault) return unwrap(t._def.innerType);
    if (t instanceof z.ZodOptional) return unwrap(t.unwrap());
    return t;
  };
  for (const step of fieldPath) {
    schema = unwrap(schema);
    if (schema instanceof z.ZodObject)
      schema = (schema.shape as Record<string, z.ZodTypeAny>)[String(step)] ?? z.never();
    else if (schema instanceof z.ZodArray) schema = schema.element;
    else if (schema instanceof z.ZodRecord) schema = schema.valueSchema;
    else return [];
  }
  schema = unwrap(schema);
  return schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
}

/** `; did you mean "x"?` for the candidate nearest to a misspelt name (at most a third of its letters off), else nothing. */
export function didYouMean(given: string, candidates: readonly string[]): string {
  let best: { name: string; distance: number } | null = null;
  for (const name of candidates) {
    const distance = editDistance(given.toLowerCase(), name.toLowerCase());
    if (!best || distance < best.distance) best = { name, distance };
  }
  return best && best.distance > 0 && best.distance <= Math.max(1, Math.floor(best.name.length / 3))
    ? `; did you mean "${best.name}"?`
    : '';
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++)
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = current;
  }
  return previous[b.length]!;
}

function definedPoliteness(p: {
  concurrency?: number | undefined;
  minDelay?: number | undefined;
  robots?: boolean | undefined;
}): Partial<Politeness> {
  return {
    ...(p.concurrency !== undefined ? { concurrency: p.concurrency } : {}),
    ...(p.minDelay !== undefined ? { minDelayMs: p.minDelay } : {}),
    ...(p.robots !== undefined ? { robots: p.robots } : {}),
  };
}

const pad = (n: number) => String(n).padStart(2, '0');

/** ISO week of a date (UTC): `2026-W48`. */
export function isoWeek(date: Date): string {
  const d = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()));
  const day = d.getUTCDay() || 7;
  d.setUTCDate(d.getUTCDate() + 4 - day);
  const yearStart = Date.UTC(d.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((d.getTime() - yearStart) / 86_400_000 + 1) / 7);
  return `${d.getUTCFullYear()}-W${pad(week)}`;
}

/**
 * A URL template for one day (UTC): `{date}` is that day, `{date-1}` the day before,
 * `{week}` its ISO week, `{month}` its month; `{week-1}` and `{month-1}` go back likewise.
 */
export function expandUrl(template: string, day: Date): string {
  return template.replace(TEMPLATE, (_, unit: string, back: string | undefined) => {
    const n = back ? Number(back.slice(1)) : 0;
    const d = new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate()));
    if (unit === 'date') {
      d.setUTCDate(d.getUTCDate() - n);
      return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
    }
    if (unit === 'week') {
      d.setUTCDate(d.getUTCDate() - 7 * n);
      return isoWeek(d);
    }
    d.setUTCMonth(d.getUTCMonth() - n, 1);
    return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}`;
  });
}

/** Whether a URL template names a day (`{date}` or `{date-N}`), so that a backfill can walk it back in time. */
export const isDated = (url: string) => /\{date(-\d+)?\}/.test(url);
