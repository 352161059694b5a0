import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { getAdapter } from '@paperboy/sources';
import { LineCounter, parseDocument, type Node } from 'yaml';
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
      .refine((c) => [5, 6].includes(c.trim().split(/\s+/).length) && c.trim().split(/\s+/).every((f) => CRON_FIELD.test(f)), {
        message: 'expected a cron expression of 5 or 6 fields, e.g. "*/30 * * * *"',
      })
      .optional(),
    tz: z.string().optional(),
    jitter: duration('jitter').default(0),
  })
  .strict()
  .refine((s) => (s.every === undefined) !== (s.cron === undefined), { message: 'give exactly one of "every" or "cron"' })
  .refine((s) => s.every === undefined || s.every >= 60_000, { message: '"every" must be at least 1m', path: ['every'] });

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
    defaults: z.object({ politeness: politenessSchema.default({}) }).strict().default({}),
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

/** Parses and validates; every problem names its field and line. */
export function parseSourcesFile(text: string, path: string): SourcesFile {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true });
  if (doc.errors.length) {
    throw new SourcesFileError(path, doc.errors.map((e) => `line ${e.linePos?.[0]?.line ?? '?'}: ${e.message.split('\n')[0]}`));
  }
  const lineOf = (fieldPath: ReadonlyArray<string | number>): number | undefined => {
    for (let n = fieldPath.length; n >= 0; n--) {
      const node = doc.getIn(fieldPath.slice(0, n), true) as Node | undefined;
      if (node && typeof node === 'object' && 'range' in node && node.range) return lineCounter.linePos(node.range[0]).line;
    }
    return undefined;
  };
  const where = (fieldPath: ReadonlyArray<string | number>) => {
    const line = lineOf(fieldPath);
    const name = fieldPath.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('').replace(/^\./, '') || '(file)';
    return `${name}${line ? ` (line ${line})` : ''}`;
  };

  const parsed = fileSchema.safeParse(doc.toJS());
  if (!parsed.success) throw new SourcesFileError(path, parsed.error.issues.map((i) => `${where(i.path)}: ${i.message}`));

  const problems: string[] = [];
  const seen = new Set<string>();
  const defaults = { ...BUILT_IN_POLITENESS, ...definedPoliteness(parsed.data.defaults.politeness) };
  const sources = parsed.data.sources.map((raw, index): SourceDefinition => {
    const at = (...rest: Array<string | number>) => where(['sources', index, ...rest]);
    if (seen.has(raw.id)) problems.push(`${at('id')}: duplicate source id "${raw.id}"`);
    seen.add(raw.id);
    let options: unknown = raw.options;
    try {
      const adapter = getAdapter(raw.adapter);
      if (adapter.options) {
        const checked = adapter.options.safeParse(raw.options);
        if (checked.success) options = checked.data;
        else for (const issue of checked.error.issues) problems.push(`${at('options', ...issue.path)}: ${issue.message}`);
      } else if (raw.options !== undefined) {
        problems.push(`${at('options')}: adapter "${raw.adapter}" takes no options`);
      }
    } catch (error) {
      problems.push(`${at('adapter')}: ${(error as Error).message}`);
    }
    const urls = raw.urls ?? [raw.url!];
    urls.forEach((url, i) => {
      const concrete = url.replace(TEMPLATE, '2026-01-01');
      let ok = false;
      try {
        ok = ['http:', 'https:'].includes(new URL(concrete).protocol);
      } catch {
        ok = false;
      }
      if (!ok) problems.push(`${raw.urls ? at('urls', i) : at('url')}: ${JSON.stringify(url)} is not an http(s) URL`);
      const unknown = [...url.matchAll(/\{([^}]*)\}/g)].map((m) => m[1]).filter((name) => !/^(date|week|month)(-\d+)?$/.test(name!));
      if (unknown.length) problems.push(`${raw.urls ? at('urls', i) : at('url')}: unknown placeholder {${unknown[0]}}; known: {date}, {date-1}, {week}, {month}`);
    });
    return {
      id: raw.id,
      adapter: raw.adapter,
      urls,
      schedule: { every: raw.schedule.every, cron: raw.schedule.cron, tz: raw.schedule.tz, jitterMs: raw.schedule.jitter },
      enabled: raw.enabled,
      politeness: definedPoliteness(raw.politeness),
      options,
    };
  });
  if (problems.length) throw new SourcesFileError(path, problems);

  const hosts = new Map(Object.entries(parsed.data.hosts).map(([host, p]) => [host.toLowerCase(), definedPoliteness(p)]));
  return {
    path,
    userAgent: parsed.data.userAgent,
    sources,
    politenessFor: (url, source) => ({
      ...defaults,
      ...(hosts.get(url.hostname.toLowerCase()) ?? {}),
      ...(hosts.get(url.host.toLowerCase()) ?? {}),
      ...(source?.politeness ?? {}),
    }),
  };
}

function definedPoliteness(p: { concurrency?: number | undefined; minDelay?: number | undefined; robots?: boolean | undefined }): Partial<Politeness> {
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

