import { load, type CheerioAPI, type CheerioOptions } from 'cheerio';
import type { Page } from './types.js';

/**
 * Options that switch cheerio 1.x to its htmlparser2 backend while keeping HTML (not XML)
 * semantics: any `xml` object selects htmlparser2, and `xmlMode: false` inside it keeps
 * HTML rules (void elements, case-insensitive tags, HTML entities). parse5, the default,
 * is spec-exact but several times slower, and listing pages need no tree repair.
 */
export const FAST_HTML_OPTIONS: CheerioOptions = Object.freeze({
  xml: { xmlMode: false, decodeEntities: true },
});

/** Wraps a fetched body; `$()` and `json()` parse on first use and cache the result. */
export function createPage(url: string, body: string, contentType?: string): Page {
  let dom: CheerioAPI | undefined;
  let parsed: { ok: true; value: unknown } | { ok: false; error: unknown } | undefined;
  return {
    url,
    body,
    ...(contentType === undefined ? {} : { contentType }),
    $() {
      dom ??= load(body, FAST_HTML_OPTIONS);
      return dom;
    },
    json() {
      if (parsed === undefined) {
        try {
          parsed = { ok: true, value: JSON.parse(body) as unknown };
        } catch (error) {
          parsed = { ok: false, error };
        }
      }
      if (!parsed.ok) throw parsed.error;
      return parsed.value;
    },
  };
}
