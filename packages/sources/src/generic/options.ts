/**
 * Options of the `generic` adapter: where the items of a listing are and where each field of
 * an item is. Two modes: CSS selectors over HTML, or a path into JSON (the body, a `<script>`
 * or an attribute). Every issue names its option path (`fields.title.selector`).
 */
import { type CheerioAPI, load } from 'cheerio';
import { z } from 'zod';
import { compilePath } from './json-path.js';

/** Item fields a source can configure; `title` is required, the rest optional. `id` becomes the entry's externalId. */
export const GENERIC_FIELDS = [
  'title',
  'url',
  'id',
  'arxivId',
  'abstract',
  'authors',
  'upvotes',
  'comments',
  'publishedAt',
  'section',
  'categories',
] as const;
export type GenericField = (typeof GENERIC_FIELDS)[number];

/** Fields that keep every value found (the others keep the first). */
export const LIST_FIELDS: ReadonlySet<GenericField> = new Set(['authors', 'categories']);

/**
 * Where a field is in an item (CSS mode): a selector relative to the item (`"h2 a"`; `""` is
 * the item itself), or an object saying more.
 */
export type FieldSpec = string | FieldSelector;

export interface FieldSelector {
  selector: string;
  /** Read this attribute (`href`) instead of the element's text. */
  attr?: string;
  /** Regular expression applied to the text or attribute; its first capture group (else the whole match) is the value. */
  pattern?: string;
  /** The value placed into a string at `{}`: `"/papers/{}"`. */
  template?: string;
  /**
   * Every match rather than the first that gives a value (default for authors and categories):
   * text fields join them with spaces; counts, URLs and dates take the first that converts.
   */
  all?: boolean;
}

/** Where a field is in an item (JSON mode): a path from the item (`"paper.title"`), or an object saying more. */
export type JsonFieldSpec = string | JsonFieldPath;

export interface JsonFieldPath {
  path: string;
  pattern?: string;
  template?: string;
}

export type FieldMap<Spec> = { title: Spec } & { [F in Exclude<GenericField, 'title'>]?: Spec };

/** CSS mode: `item` selects each item on the page; `fields` are relative to it. */
export interface GenericCssOptions {
  item: string;
  fields: FieldMap<FieldSpec>;
}

/** JSON mode: the items are the array at `path` in the page's JSON. */
export interface GenericJsonOptions {
  json: {
    /** Selector of the element holding the JSON (`script#__NEXT_DATA__`); leave out for a JSON body. */
    script?: string;
    /** Attribute holding the JSON (`data-props`); without `script`, the first element with it whose JSON has items at `path`. */
    attr?: string;
    /** Path to the array of items; `""` is the whole document. */
    path: string;
    fields: FieldMap<JsonFieldSpec>;
  };
}

export type GenericOptions = GenericCssOptions | GenericJsonOptions;

let emptyDocument: CheerioAPI | undefined;

/** Why a CSS selector cannot be used, or undefined when it can. */
export function selectorProblem(selector: string): string | undefined {
  emptyDocument ??= load('');
  try {
    // Selectors compile before matching, so an empty document finds every syntax error.
    emptyDocument(selector);
    return undefined;
  } catch (error) {
    return `invalid CSS selector ${JSON.stringify(selector)} (${(error as Error).message})`;
  }
}

function patternProblem(pattern: string): string | undefined {
  try {
    new RegExp(pattern);
    return undefined;
  } catch (error) {
    return `invalid regular expression (${(error as Error).message})`;
  }
}

const check = (problem: (value: string) => string | undefined) => (value: string, ctx: z.RefinementCtx) => {
  const message = problem(value);
  if (message) ctx.addIssue({ code: 'custom', message });
};

const selector = z.string().superRefine(check(selectorProblem));
const pattern = z.string().min(1).superRefine(check(patternProblem));
const template = z
  .string()
  .refine((t) => t.includes('{}'), { message: 'a template needs "{}" where the value goes, e.g. "/papers/{}"' });
const attributeName = z.string().regex(/^[^\s"'>/=]+$/, 'expected an attribute name such as "href" or "data-props"');
const path = z.string().refine((p) => compilePath(p) !== undefined, {
  message: 'expected a path such as "props.items", "data[0].papers" or "[*].paper" ("" for the whole document)',
});

/**
 * A schema chosen by the value's shape, with the chosen schema's own issues (and paths):
 * zod's union would report only "Invalid input".
 */
function oneOf<T>(expected: string, pick: (value: unknown) => z.ZodType | undefined): z.ZodType<T> {
  return z
    .custom<T>(
      (value) => pick(value) !== undefined,
      (value: unknown) => ({ message: value === undefined ? 'Required' : `expected ${expected}` }),
    )
    .superRefine((value, ctx) => {
      const result = pick(value)?.safeParse(value);
      if (result && !result.success) for (const issue of result.error.issues) ctx.addIssue(issue);
    });
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const fieldSelectorSchema = z
  .object({
    selector,
    attr: attributeName.optional(),
    pattern: pattern.optional(),
    template: template.optional(),
    all: z.boolean().optional(),
  })
  .strict();
const fieldSpecSchema = oneOf<FieldSpec>('a CSS selector or { selector, attr?, pattern?, template?, all? }', (v) =>
  typeof v === 'string' ? selector : isPlainObject(v) ? fieldSelectorSchema : undefined,
);

const jsonFieldPathSchema = z.object({ path, pattern: pattern.optional(), template: template.optional() }).strict();
const jsonFieldSpecSchema = oneOf<JsonFieldSpec>(
  'a path such as "paper.title" or { path, pattern?, template? }',
  (v) => (typeof v === 'string' ? path : isPlainObject(v) ? jsonFieldPathSchema : undefined),
);

function fieldsSchema<Spec>(spec: z.ZodType<Spec>): z.ZodType<FieldMap<Spec>> {
  const shape = Object.fromEntries(GENERIC_FIELDS.map((f) => [f, f === 'title' ? spec : spec.optional()]));
  return z.object(shape).strict() as unknown as z.ZodType<FieldMap<Spec>>;
}

const cssOptionsSchema: z.ZodType<GenericCssOptions> = z
  .object({
    item: z.string().min(1, 'the item selector must not be empty').superRefine(check(selectorProblem)),
    fields: fieldsSchema(fieldSpecSchema),
  })
  .strict();

const jsonOptionsSchema: z.ZodType<GenericJsonOptions> = z
  .object({
    json: z
      .object({
        script: selector.optional(),
        attr: attributeName.optional(),
        path,
        fields: fieldsSchema(jsonFieldSpecSchema),
      })
      .strict(),
  })
  .strict();

/** The generic adapter's options: `{ item, fields }` (CSS mode) or `{ json: { … } }` (JSON mode). */
export const genericOptionsSchema: z.ZodType<GenericOptions> = oneOf<GenericOptions>(
  '{ item, fields } (CSS selectors) or { json: { path, fields } } (JSON)',
  (v) => (isPlainObject(v) ? ('json' in v ? jsonOptionsSchema : cssOptionsSchema) : undefined),
);
