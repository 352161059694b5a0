/**
 * Helpers that make untrusted (scraped) text safe for the places a mail puts it:
 * HTML text and attributes, header values, and links.
 */

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for HTML element content and quoted attribute values alike. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char] ?? char);
}

// C0 controls (CR and LF among them), DEL and the C1 controls.
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]+/g;

/**
 * One line of display text: control characters (CR, LF, tab…) become a space and runs of
 * white space collapse. Every header value goes through this, so no value can start a new
 * header line.
 */
export function singleLine(value: string): string {
  return value.replace(CONTROL_CHARACTERS, ' ').replace(/\s+/g, ' ').trim();
}

const SAFE_PROTOCOLS = new Set(['http:', 'https:', 'mailto:']);

/**
 * The URL in its normalized form when it is an absolute http(s) or mailto URL, else `#`.
 * The WHATWG parser percent-encodes spaces, quotes and angle brackets, but the result
 * must still be attribute-escaped where it goes into HTML.
 */
export function safeUrl(value: string): string {
  try {
    const url = new URL(value.trim());
    return SAFE_PROTOCOLS.has(url.protocol) ? url.href : '#';
  } catch {
    return '#';
  }
}

/** Cuts text to at most `max` characters at a word boundary, adding an ellipsis when cut. */
export function truncateAtWord(value: string, max: number): string {
  const text = singleLine(value);
  if (text.length <= max) return text;
  const cut = text.slice(0, max);
  const lastSpace = cut.lastIndexOf(' ');
  // A single very long word would leave almost nothing: then cut inside it.
  let end = lastSpace >= max * 0.6 ? lastSpace : max;
  // Never split a surrogate pair (an emoji or a rare CJK character).
  if (/[\ud800-\udbff]/.test(cut.charAt(end - 1))) end -= 1;
  return `${cut.slice(0, end).replace(/[\s,;:.\-–—]+$/, '')}…`;
}
