import { type CheerioAPI, type CheerioOptions, load } from 'cheerio';
import { type Document, DomHandler } from 'domhandler';
import { Parser } from 'htmlparser2';
import type { Page } from './types.js';

/**
 * Deepest element nesting a page may have. Real listings nest a few dozen deep; htmlparser2
 * and cheerio's selectors slow down with the square of the depth (100,000 nested `<b>` take
 * minutes), so a deeper page is refused with PageTooComplexError instead of parsed.
 */
export const MAX_NESTING_DEPTH = 1_000;

/** A page whose structure is too deep to parse safely; the fetcher records it as a failed extraction. */
export class PageTooComplexError extends Error {
  override readonly name = 'PageTooComplexError';
}

/** DomHandler that refuses to open an element deeper than MAX_NESTING_DEPTH. */
class BoundedDomHandler extends DomHandler {
  override onopentag(name: string, attribs: Record<string, string>): void {
    // tagStack holds the root and each open element.
    if (this.tagStack.length > MAX_NESTING_DEPTH) {
      throw new PageTooComplexError(
        `elements nest more than ${MAX_NESTING_DEPTH} deep (at <${name}>); the page is not parsed`,
      );
    }
    super.onopentag(name, attribs);
  }
}

/**
 * Markup loaded with cheerio on htmlparser2, as `load(markup, options)` does for `xml` options,
 * but with the nesting bounded. Throws PageTooComplexError for a page nested deeper than
 * MAX_NESTING_DEPTH.
 */
export function loadMarkup(markup: string, options: CheerioOptions): CheerioAPI {
  // cheerio's own option flattening for `xml`: xmlMode on, then the `xml` object's settings.
  const parserOptions = { xmlMode: true, ...(typeof options.xml === 'object' ? options.xml : {}) };
  const handler = new BoundedDomHandler(undefined, parserOptions);
  new Parser(handler, parserOptions).end(markup);
  return load(handler.root as Document, options);
}

/**
 * Options that switch cheerio 1.x to its htmlparser2 backend while keeping HTML (not XML)
 * semantics: any `xml` object selects htmlparser2, and `xmlMode: false` inside it keeps
 * HTML rules (void elements, case-insensitive tags, HTML entities). parse5, the default,
 * is spec-exact but several times slower, and listing pages need no tree repair.
 */
export const FAST_HTML_OPTIONS: CheerioOptions = Object.freeze({
  xml: { xmlMode: false, decodeEntities: true },
});

/**
 * Wraps a fetched body; `$()` and `json()` parse on first use and cache the result. Given bytes,
 * the page keeps them as `bytes` and decodes `body` (UTF-8) only when something reads it.
 */
export function createPage(url: string, body: string | Buffer, contentType?: string): Page {
  let dom: CheerioAPI | undefined;
  let parsed: { ok: true; value: unknown } | { ok: false; error: unknown } | undefined;
  let text = typeof body === 'string' ? body : undefined;
  const bytes = typeof body === 'string' ? undefined : body;
  const decoded = () => {
    text ??= bytes!.toString('utf8');
    return text;
  };
  return {
    url,
    get body() {
      return decoded();
    },
    ...(bytes === undefined ? {} : { bytes }),
    ...(contentType === undefined ? {} : { contentType }),
    $() {
      dom ??= loadMarkup(decoded(), FAST_HTML_OPTIONS);
      return dom;
    },
    json() {
      if (parsed === undefined) {
        try {
          parsed = { ok: true, value: JSON.parse(decoded()) as unknown };
        } catch (error) {
          parsed = { ok: false, error };
        }
      }
      if (!parsed.ok) throw parsed.error;
      return parsed.value;
    },
  };
}
