/**
 * Text that every feed format can carry. XML 1.0 forbids most C0 controls (U+0000 among them),
 * lone surrogates, U+FFFE and U+FFFF even as character references, and a feed holding one is not
 * well-formed: readers drop the whole feed. Scraped text can hold any of them, so they are removed
 * (from the JSON feed too, so the three formats say the same).
 */
const NOT_XML_CHAR = /[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/gu;

export function xmlSafe(value: string): string {
  return value.replace(NOT_XML_CHAR, '');
}

const XML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

/**
 * Text for XML element content or a quoted attribute: forbidden characters removed, markup escaped.
 * HTML content goes through this too (escaped text, never CDATA, which `]]>` in a title would end).
 */
export function xmlText(value: string): string {
  return xmlSafe(value).replace(/[&<>"']/g, (char) => XML_ESCAPES[char]!);
}
