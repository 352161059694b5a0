import { type AnyNode, type Element, isCDATA, isTag, isText } from 'domhandler';
import { cleanText } from './text.js';

/** Elements whose text is never content: code, styling, and MathJax's rendered copies of formulas. */
const SKIPPED_TAGS = new Set(['script', 'style', 'noscript', 'template', 'svg', 'mjx-container']);
const MATHJAX_RENDER_CLASS =
  /(?:^|\s)(?:MathJax(?:_Preview|_Display|_SVG|_CHTML|_SVG_Display|_CHTML_Display)?|MJX_Assistive_MathML)(?:\s|$)/;

export interface TextOptions {
  /** Leave out `span.descriptor` labels ("Title:", "Authors:") that arXiv puts before values. */
  skipDescriptors?: boolean;
}

/**
 * The visible text of an element, cleaned with `cleanText`.
 * Pages saved from a browser carry MathJax output next to the TeX source
 * (`<script type="math/tex">`): the rendering is dropped and the source comes back as
 * `$…$`, so a title reads the same as in the page the server sent.
 */
export function elementText(node: AnyNode | undefined, options: TextOptions = {}): string {
  if (!node) return '';
  const parts: string[] = [];
  collect(node, parts, options.skipDescriptors === true);
  return cleanText(parts.join(''));
}

/**
 * Text pieces under `root` in document order. A loop with its own stack, not recursion: a
 * hostile page nests tens of thousands of elements, past the call stack's depth.
 */
function collect(root: AnyNode, parts: string[], skipDescriptors: boolean): void {
  const stack: AnyNode[] = [root];
  while (stack.length > 0) {
    const node = stack.pop() as AnyNode;
    if (isText(node)) {
      parts.push(node.data);
      continue;
    }
    let children: readonly AnyNode[];
    if (isTag(node)) {
      const piece = elementPiece(node, skipDescriptors);
      if (piece !== undefined) {
        if (piece !== '') parts.push(piece);
        continue;
      }
      children = node.children;
    } else if (isCDATA(node)) {
      children = node.children;
    } else {
      continue;
    }
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i] as AnyNode);
  }
}

/** What an element gives instead of its children's text ('' for nothing), or undefined to read its children. */
function elementPiece(el: Element, skipDescriptors: boolean): string | undefined {
  const name = el.name;
  if (name === 'script') return texSource(el) ?? '';
  if (SKIPPED_TAGS.has(name)) return '';
  if (name === 'br') return ' ';
  const className = el.attribs.class;
  if (className !== undefined) {
    if (MATHJAX_RENDER_CLASS.test(className)) return '';
    if (skipDescriptors && /(?:^|\s)descriptor(?:\s|$)/.test(className)) return '';
  }
  return undefined;
}

function texSource(script: Element): string | undefined {
  const type = script.attribs.type ?? '';
  if (!type.startsWith('math/tex')) return undefined;
  const source = script.children.map((c) => (isText(c) ? c.data : '')).join('');
  const fence = type.includes('mode=display') ? '$$' : '$';
  return `${fence}${source}${fence}`;
}

/** True when the element's class list has `name`. */
export function hasClass(el: Element, name: string): boolean {
  const className = el.attribs.class;
  if (className === undefined) return false;
  if (className === name) return true;
  for (let at = className.indexOf(name); at !== -1; at = className.indexOf(name, at + 1)) {
    const before = at === 0 ? ' ' : className.charAt(at - 1);
    const after = className.charAt(at + name.length) || ' ';
    if (/\s/.test(before) && /\s/.test(after)) return true;
  }
  return false;
}

/**
 * Depth-first walk over the elements under `root` (not `root` itself), in document order.
 * `visit` returns true to skip the element's children.
 */
// biome-ignore lint/suspicious/noConfusingVoidType: a visitor returns false to skip an element's children, or nothing at all
export function walkElements(root: Element, visit: (el: Element) => boolean | void): void {
  const stack: AnyNode[] = [...root.children].reverse();
  while (stack.length > 0) {
    const node = stack.pop() as AnyNode;
    if (!isTag(node)) continue;
    if (visit(node) === true) continue;
    for (let i = node.children.length - 1; i >= 0; i--) stack.push(node.children[i] as AnyNode);
  }
}

/** The first element under `root` that matches, in document order. */
export function findElement(root: Element, test: (el: Element) => boolean): Element | undefined {
  let found: Element | undefined;
  walkElements(root, (el) => {
    if (found) return true;
    if (test(el)) {
      found = el;
      return true;
    }
    return false;
  });
  return found;
}
