import { describe, expect, it } from 'vitest';
import { type GenericOptions, genericOptionsSchema } from './options.js';

/** Issues as the fetcher prints them under `options` (path, then message). */
function issuesOf(options: unknown): string[] {
  const result = genericOptionsSchema.safeParse(options);
  return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.') || '(options)'}: ${i.message}`);
}

describe('generic options: valid', () => {
  it.each<[string, GenericOptions]>([
    ['CSS, selectors only', { item: 'article', fields: { title: 'h2 a' } }],
    [
      'CSS, every kind of field spec',
      {
        item: 'ul.papers > li',
        fields: {
          title: { selector: 'a.title' },
          url: { selector: 'a.title', attr: 'href' },
          id: { selector: '', attr: 'data-id' },
          upvotes: { selector: '', pattern: '(\\d+) votes' },
          authors: { selector: '.author', all: true },
          arxivId: { selector: 'a[href*="/abs/"]', attr: 'href', pattern: '/abs/(.+)$' },
          publishedAt: { selector: 'time', attr: 'datetime' },
          categories: 'span.tag',
          section: { selector: '', attr: 'data-section', template: 'day {}' },
        },
      },
    ],
    ['JSON body', { json: { path: '', fields: { title: 'title' } } }],
    [
      'JSON in an attribute, field objects',
      {
        json: {
          attr: 'data-props',
          path: 'dailyPapers',
          fields: { title: 'paper.title', url: { path: 'paper.id', template: '/papers/{}' } },
        },
      },
    ],
    [
      'JSON in a script',
      { json: { script: 'script#__NEXT_DATA__', path: 'props.pageProps.items[*]', fields: { title: 'name' } } },
    ],
  ])('%s', (_what, options) => {
    expect(genericOptionsSchema.parse(options)).toEqual(options);
  });
});

describe('generic options: clear errors naming the option', () => {
  it.each<[string, unknown, string[]]>([
    ['missing', undefined, ['(options): Required']],
    [
      'not an object',
      'article',
      ['(options): expected { item, fields } (CSS selectors) or { json: { path, fields } } (JSON)'],
    ],
    ['an empty object', {}, ['item: Required', 'fields: Required']],
    ['an empty item selector', { item: '', fields: { title: 'a' } }, ['item: the item selector must not be empty']],
    [
      'a malformed item selector',
      { item: 'article[', fields: { title: 'a' } },
      ['item: invalid CSS selector "article[" (Expected name, found )'],
    ],
    ['no title', { item: 'li', fields: { url: 'a' } }, ['fields.title: Required']],
    [
      'an unknown field',
      { item: 'li', fields: { title: 'a', stars: 'b' } },
      ["fields: Unrecognized key(s) in object: 'stars'"],
    ],
    [
      'a field of the wrong type',
      { item: 'li', fields: { title: 3 } },
      ['fields.title: expected a CSS selector or { selector, attr?, pattern?, template?, all? }'],
    ],
    [
      'a malformed field selector',
      { item: 'li', fields: { title: 'a:nope' } },
      ['fields.title: invalid CSS selector "a:nope" (Unknown pseudo-class :nope)'],
    ],
    [
      'a field object without selector',
      { item: 'li', fields: { title: { attr: 'href' } } },
      ['fields.title.selector: Required'],
    ],
    [
      'a typo in a field object',
      { item: 'li', fields: { title: { selector: 'a', atr: 'href' } } },
      ["fields.title: Unrecognized key(s) in object: 'atr'"],
    ],
    [
      'a malformed pattern',
      { item: 'li', fields: { title: 'a', upvotes: { selector: '', pattern: '(\\d+ stars' } } },
      [
        'fields.upvotes.pattern: invalid regular expression (Invalid regular expression: /(\\d+ stars/: Unterminated group)',
      ],
    ],
    [
      'a template without {}',
      { item: 'li', fields: { title: 'a', url: { selector: 'a', template: '/papers/' } } },
      ['fields.url.template: a template needs "{}" where the value goes, e.g. "/papers/{}"'],
    ],
    [
      'an attribute name with a space',
      { item: 'li', fields: { title: { selector: 'a', attr: 'data props' } } },
      ['fields.title.attr: expected an attribute name such as "href" or "data-props"'],
    ],
    [
      'all not a boolean',
      { item: 'li', fields: { title: 'a', authors: { selector: 'a', all: 'yes' } } },
      ['fields.authors.all: Expected boolean, received string'],
    ],
    [
      'both modes',
      { item: 'li', fields: { title: 'a' }, json: { path: '', fields: { title: 't' } } },
      ["(options): Unrecognized key(s) in object: 'item', 'fields'"],
    ],
    ['JSON without path', { json: { fields: { title: 't' } } }, ['json.path: Required']],
    [
      'a malformed JSON path',
      { json: { path: 'props..items', fields: { title: 't' } } },
      ['json.path: expected a path such as "props.items", "data[0].papers" or "[*].paper" ("" for the whole document)'],
    ],
    [
      'a malformed JSON field path',
      { json: { path: '', fields: { title: 'paper.[0]' } } },
      [
        'json.fields.title: expected a path such as "props.items", "data[0].papers" or "[*].paper" ("" for the whole document)',
      ],
    ],
    [
      'a JSON field of the wrong type',
      { json: { path: '', fields: { title: ['t'] } } },
      ['json.fields.title: expected a path such as "paper.title" or { path, pattern?, template? }'],
    ],
    [
      'a malformed script selector',
      { json: { script: 'script[type=', path: '', fields: { title: 't' } } },
      [expect.stringMatching(/^json\.script: invalid CSS selector "script\[type="/) as unknown as string],
    ],
  ])('%s', (_what, options, issues) => {
    expect(issuesOf(options)).toEqual(issues);
  });
});
