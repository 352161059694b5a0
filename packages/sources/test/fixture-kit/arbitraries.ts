/**
 * fast-check arbitraries for the adapters' property tests: real captures mutated as a broken
 * server, a truncating proxy or an attacker would (ranges cut, repeated, swapped; hostile
 * strings inserted; the JSON inside a page rewritten), and random HTML, JSON and XML.
 * Tests only (fast-check is a devDependency); not exported from the fixture kit's index.
 */
import fc from 'fast-check';

/** Text that has broken parsers and stores before: control characters, lone surrogates, huge numbers, markup. */
export const HOSTILE_STRINGS: readonly string[] = [
  '\u0000',
  '\u0000\u0001\u001f\u007f',
  '\ud800',
  '\udfff',
  'a\ud83d',
  '\ud83d\ude00',
  '\u2028\u2029',
  '\ufeff',
  '99999999999999999999999999999999',
  '9'.repeat(400),
  '1e309',
  '-1',
  'NaN',
  '2147483648',
  '9007199254740993',
  '+275760-09-13T00:00:00.000Z',
  '10000-01-01',
  '&amp;amp;',
  '&#0;',
  '&#xD800;',
  '&#x110000;',
  '&quot;',
  '"',
  "'",
  '<',
  '>',
  '</dl>',
  '<dt>',
  '<h3>',
  '<article>',
  '<![CDATA[',
  ']]>',
  '<!--',
  '-->',
  '<script>',
  '</script>',
  'javascript:alert(1)',
  'http://[::1',
  '/abs/',
  '/papers/',
  'arXiv:',
  'oai:arXiv.org:',
  '(first',
  ', and ',
  '\t\t\t\t',
  ' data-props="',
  '<div>'.repeat(2000),
  '<span>'.repeat(30_000),
  '<b><i>'.repeat(3000),
  '['.repeat(3000),
  '{"a":'.repeat(2000),
];

const hostile = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...HOSTILE_STRINGS) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 30 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
);

/** One edit of a string: positions are fractions of its length, so they fit any seed. */
type Mutation =
  | { kind: 'truncate'; at: number }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'duplicate'; at: number; length: number; to: number; times: number }
  | { kind: 'swap'; at: number; to: number; length: number }
  | { kind: 'insert'; at: number; text: string };

const fraction = fc.double({ min: 0, max: 1, noNaN: true });
const span = fc.integer({ min: 1, max: 5_000 });

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('truncate' as const), at: fraction }),
  fc.record({ kind: fc.constant('delete' as const), at: fraction, length: span }),
  fc.record({
    kind: fc.constant('duplicate' as const),
    at: fraction,
    length: span,
    to: fraction,
    times: fc.integer({ min: 1, max: 20 }),
  }),
  fc.record({ kind: fc.constant('swap' as const), at: fraction, to: fraction, length: span }),
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('insert' as const), at: fraction, text: hostile }) },
);

function applyMutation(text: string, m: Mutation): string {
  const at = Math.floor(m.at * text.length);
  switch (m.kind) {
    case 'truncate':
      return text.slice(0, at);
    case 'delete':
      return text.slice(0, at) + text.slice(at + m.length);
    case 'duplicate': {
      const piece = text.slice(at, at + m.length).repeat(m.times);
      const to = Math.floor(m.to * text.length);
      return text.slice(0, to) + piece + text.slice(to);
    }
    case 'swap': {
      const [a, b] = [at, Math.floor(m.to * text.length)].sort((x, y) => x - y) as [number, number];
      const length = Math.min(m.length, b - a);
      if (length <= 0) return text;
      return (
        text.slice(0, a) +
        text.slice(b, b + length) +
        text.slice(a + length, b) +
        text.slice(a, a + length) +
        text.slice(b + length)
      );
    }
    case 'insert':
      return text.slice(0, at) + m.text + text.slice(at);
  }
}

/** A seed with 1 to `max` mutations applied in order. */
export function mutatedText(seeds: readonly string[], max = 6): fc.Arbitrary<string> {
  return fc
    .tuple(fc.constantFrom(...seeds), fc.array(mutation, { minLength: 1, maxLength: max }))
    .map(([seed, edits]) => edits.reduce(applyMutation, seed));
}

/** JSON values that stress a mapper: huge and odd numbers, hostile strings, nesting, wrong types. */
export const hostileJsonValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(1e308, -1e308, 2 ** 31, 2 ** 53 + 2, -1, 0.5, -0, 1e-320, Number.MAX_VALUE),
  hostile,
  fc.jsonValue({ maxDepth: 3 }),
  fc.constant(JSON.parse('['.repeat(500) + ']'.repeat(500)) as unknown),
);

/** Every path to a value inside `json` (objects and arrays walked), the root included. */
function paths(json: unknown, limit = 5_000): Array<Array<string | number>> {
  const found: Array<Array<string | number>> = [[]];
  const stack: Array<[unknown, Array<string | number>]> = [[json, []]];
  while (stack.length > 0 && found.length < limit) {
    const [value, path] = stack.pop()!;
    if (typeof value !== 'object' || value === null) continue;
    for (const [key, child] of Object.entries(value)) {
      const childPath = [...path, Array.isArray(value) ? Number(key) : key];
      found.push(childPath);
      stack.push([child, childPath]);
    }
  }
  return found;
}

function replaceAt(json: unknown, path: ReadonlyArray<string | number>, value: unknown): unknown {
  if (path.length === 0) return value;
  const [head, ...rest] = path as [string | number, ...Array<string | number>];
  const copy = (Array.isArray(json) ? [...json] : { ...(json as object) }) as Record<string | number, unknown>;
  copy[head] = replaceAt(copy[head], rest, value);
  return copy;
}

/** `json` with 1 to `max` of its values (leaves or whole subtrees) replaced by hostile ones. */
export function mutatedJson(json: unknown, max = 5): fc.Arbitrary<unknown> {
  const all = paths(json);
  return fc
    .array(fc.tuple(fc.nat({ max: all.length - 1 }), hostileJsonValue), { minLength: 1, maxLength: max })
    .map((edits) => edits.reduce((doc, [index, value]) => replaceAt(doc, all[index]!, value), json));
}

/** Escapes JSON for a double-quoted attribute, as Svelte writes `data-props`. */
export function attributeJson(json: unknown): string {
  return JSON.stringify(json)
    .replaceAll('&', '&amp;')
    .replaceAll('"', '&quot;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;');
}

const HTML_TAGS = [
  'div',
  'span',
  'a',
  'p',
  'h3',
  'h2',
  'dl',
  'dt',
  'dd',
  'article',
  'li',
  'ul',
  'b',
  'script',
  'br',
  'svg',
  'mjx-container',
];
const HTML_CLASSES = [
  'list-title',
  'list-authors',
  'list-subjects',
  'primary-subject',
  'mathjax',
  'descriptor',
  'leading-none',
  'MathJax',
  'Box-row',
];

const hrefValue = fc.oneof(
  fc.constantFrom(
    '/abs/2411.01234',
    '/abs/hep-th/9901001v2',
    '/papers/2606.13681',
    '/papers/trending',
    '#community',
    'javascript:alert(1)',
    'http://[::1',
    '//x',
    '',
  ),
  fc.webUrl(),
  hostile,
);

const attribute: fc.Arbitrary<string> = fc.oneof(
  fc.tuple(fc.constantFrom('class'), fc.constantFrom(...HTML_CLASSES)).map(([n, v]) => `${n}="${v}"`),
  hrefValue.map((v) => `href="${v.replaceAll('"', '&quot;')}"`),
  fc.jsonValue({ maxDepth: 3 }).map((v) => `data-props="${attributeJson({ dailyPapers: [v] })}"`),
  fc.constantFrom('type="math/tex"', 'type="math/tex; mode=display"', 'alt="@x"', 'datetime="2026-06-12"'),
);

/** Random HTML built from the tags, classes and links the adapters look for, with hostile text. */
export const randomHtml: fc.Arbitrary<string> = fc
  .letrec<{ node: string; nodes: string }>((tie) => ({
    node: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      hostile,
      fc
        .tuple(fc.constantFrom(...HTML_TAGS), fc.array(attribute, { maxLength: 3 }), tie('nodes'), fc.boolean())
        .map(
          ([tag, attrs, inner, close]) =>
            `<${tag}${attrs.map((a) => ` ${a}`).join('')}>${inner}${close ? `</${tag}>` : ''}`,
        ),
    ),
    nodes: fc.array(tie('node'), { maxLength: 5 }).map((parts) => parts.join('')),
  }))
  .nodes.map((body) => `<!DOCTYPE html><html><body>${body}</body></html>`);

const XML_NAMES = [
  'rss',
  'channel',
  'item',
  'feed',
  'entry',
  'title',
  'link',
  'guid',
  'id',
  'description',
  'summary',
  'dc:creator',
  'author',
  'name',
  'category',
  'pubDate',
  'published',
  'updated',
  'arxiv:announce_type',
  'rdf:RDF',
];

const xmlText = fc.oneof(
  fc.constantFrom(
    'oai:arXiv.org:2411.01234v1',
    'https://arxiv.org/abs/2411.01234v2',
    'arXiv:2411.01234v1 Announce Type: new Abstract: x',
    'A. B, C. D and E. F',
    'Mon, 02 Jun 2025 00:00:00 -0400',
  ),
  hostile.map((t) => t.replaceAll('&', '&amp;').replaceAll('<', '&lt;')),
  hostile,
);

/** Random feed-like XML: the element names RSS and Atom feeds use, nested at random, with hostile text. */
export const randomXml: fc.Arbitrary<string> = fc
  .letrec<{ node: string; nodes: string }>((tie) => ({
    node: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      xmlText,
      fc
        .tuple(
          fc.constantFrom(...XML_NAMES),
          fc.option(fc.constantFrom('rel="alternate"', 'href="https://arxiv.org/abs/2411.01234"', 'term="cs.LG"')),
          tie('nodes'),
        )
        .map(([name, attr, inner]) => `<${name}${attr ? ` ${attr}` : ''}>${inner}</${name}>`),
    ),
    nodes: fc.array(tie('node'), { maxLength: 5 }).map((parts) => parts.join('')),
  }))
  .nodes.map((body) => `<?xml version="1.0"?>${body}`);

/** Hugging Face-shaped entries whose every field may be anything. */
export const randomHfEntries: fc.Arbitrary<unknown[]> = fc.array(
  fc.record(
    {
      paper: fc.oneof(
        fc.record(
          {
            id: fc.oneof(fc.constantFrom('2606.13681', '2606.13681', ' ', 'a/b', '%', '..'), hostileJsonValue),
            title: hostileJsonValue,
            summary: hostileJsonValue,
            upvotes: hostileJsonValue,
            publishedAt: fc.oneof(
              fc.constantFrom('2026-06-12T09:00:00.000Z', '+275760-09-13T00:00:00.000Z', '0000-01-01'),
              hostileJsonValue,
            ),
            authors: fc.oneof(
              fc.array(fc.oneof(fc.record({ name: hostileJsonValue }), hostileJsonValue), { maxLength: 4 }),
              hostileJsonValue,
            ),
          },
          { requiredKeys: [] },
        ),
        hostileJsonValue,
      ),
      title: hostileJsonValue,
      numComments: hostileJsonValue,
      publishedAt: hostileJsonValue,
    },
    { requiredKeys: [] },
  ),
  { maxLength: 8 },
);
