/**
 * The `data-props` attributes of a page read straight from its bytes: found with Buffer searches,
 * their five common character references decoded in one pass over the attribute's bytes, and the
 * result handed to JSON.parse as a one-byte string. No decoding of the whole body, no two-byte
 * string of 400 KB: on a 480 KB listing page this is about a third of decoding the body as UTF-8,
 * scanning it and decoding the attribute as text (test/bench/README.md, `steps`).
 */

const DATA_PROPS = Buffer.from('data-props');
const AMP = 0x26;
const QUOTE = 0x22;
const APOSTROPHE = 0x27;
const EQUALS = 0x3d;
const OPEN_BRACKET = 0x5b;
const BACKSLASH = 0x5c;

/** HTML's ASCII whitespace (what separates attributes and surrounds `=`). */
function isSpace(byte: number | undefined): boolean {
  return byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0c || byte === 0x0d;
}

/** A quoted `data-props` value's byte range [start, end), or undefined where the attribute is not one. */
function attributeValue(bytes: Buffer, at: number): { start: number; end: number } | undefined {
  if (!isSpace(bytes[at - 1])) return undefined;
  let i = at + DATA_PROPS.length;
  while (isSpace(bytes[i])) i++;
  if (bytes[i] !== EQUALS) return undefined;
  i++;
  while (isSpace(bytes[i])) i++;
  const quote = bytes[i];
  if (quote !== QUOTE && quote !== APOSTROPHE) return undefined; // unquoted: left to the text path
  const end = bytes.indexOf(quote, i + 1);
  return end < 0 ? undefined : { start: i + 1, end };
}

/**
 * Each quoted `data-props` value that holds a `[`, as the JSON text it escapes; an attribute whose
 * text this cannot decode exactly (another character reference, a backslash before a non-ASCII
 * character) is decoded by `fallback` from its UTF-8 text instead.
 */
export function* propsJsonFromBytes(bytes: Buffer, fallback: (raw: string) => string): Generator<string> {
  for (let at = bytes.indexOf(DATA_PROPS); at >= 0; ) {
    const value = attributeValue(bytes, at);
    if (!value) {
      at = bytes.indexOf(DATA_PROPS, at + DATA_PROPS.length);
      continue;
    }
    const { start, end } = value;
    at = bytes.indexOf(DATA_PROPS, end + 1);
    const bracket = bytes.indexOf(OPEN_BRACKET, start);
    if (bracket < 0 || bracket >= end) continue; // header and theme props hold no arrays worth parsing
    yield jsonText(bytes, start, end) ?? fallback(bytes.toString('utf8', start, end));
  }
}

/** The attribute's bytes with &quot; &amp; &lt; &gt; &#39; decoded, as JSON text; undefined for anything else. */
function jsonText(bytes: Buffer, start: number, end: number): string | undefined {
  const out = Buffer.allocUnsafe(end - start);
  let o = 0;
  let nonAscii = false;
  for (let i = start; i < end; i++) {
    const c = bytes[i]!;
    if (c !== AMP) {
      if (c > 0x7f) nonAscii = true;
      out[o++] = c;
      continue;
    }
    const c1 = bytes[i + 1];
    const c2 = bytes[i + 2];
    const c3 = bytes[i + 3];
    if (c1 === 0x71 && c2 === 0x75 && c3 === 0x6f && bytes[i + 4] === 0x74 && bytes[i + 5] === 0x3b) {
      out[o++] = QUOTE; // &quot;
      i += 5;
    } else if (c1 === 0x61 && c2 === 0x6d && c3 === 0x70 && bytes[i + 4] === 0x3b) {
      out[o++] = AMP; // &amp;
      i += 4;
    } else if (c1 === 0x6c && c2 === 0x74 && c3 === 0x3b) {
      out[o++] = 0x3c; // &lt;
      i += 3;
    } else if (c1 === 0x67 && c2 === 0x74 && c3 === 0x3b) {
      out[o++] = 0x3e; // &gt;
      i += 3;
    } else if (c1 === 0x23 && c2 === 0x33 && c3 === 0x39 && bytes[i + 4] === 0x3b) {
      out[o++] = APOSTROPHE; // &#39;
      i += 4;
    } else {
      return undefined;
    }
  }
  const text = out.toString('latin1', 0, o);
  return nonAscii ? escapeNonAscii(text) : text;
}

// Runs of bytes >= 0x80 in a latin1 view of UTF-8: whole characters, since every byte of a
// multi-byte character is >= 0x80 and every ASCII byte ends a run.
const NON_ASCII_RUN = /[\x80-\xff]+/g;

/**
 * UTF-8 bytes seen as latin1 turned into the characters they encode, written as JSON \u escapes
 * (the text stays one byte a character; JSON.parse reads the same string). Non-ASCII can only be
 * valid JSON inside a string, where an escape means the same; outside one both fail to parse. After
 * a backslash an escape would change the meaning (`\é` is invalid, `\\u00e9` is not): undefined.
 */
function escapeNonAscii(text: string): string | undefined {
  let afterBackslash = false;
  const escaped = text.replace(NON_ASCII_RUN, (run, offset: number) => {
    if (text.charCodeAt(offset - 1) === BACKSLASH) afterBackslash = true;
    const chars = Buffer.from(run, 'latin1').toString('utf8');
    let out = '';
    for (let i = 0; i < chars.length; i++) out += `\\u${chars.charCodeAt(i).toString(16).padStart(4, '0')}`;
    return out;
  });
  return afterBackslash ? undefined : escaped;
}
