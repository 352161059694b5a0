/**
 * Every regular expression written in this package's source (literals and `new RegExp('…')`
 * with a literal pattern) must run in linear time: adapters apply them to text that strangers
 * wrote, and a quadratic pattern on a 1 MB field blocks the event loop for minutes. recheck
 * proves it (automaton analysis, a fuzzer where that cannot apply); a new pattern that can
 * backtrack polynomially or exponentially fails here with recheck's attack string.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkSync } from 'recheck';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { readSourceExample } from '../test/fixture-kit/examples.js';

const SRC = fileURLToPath(new URL('.', import.meta.url));
// The fixture builders and scripts in ../test are test-only, but checked as when they lived in src/.
const TEST_HELPERS = fileURLToPath(new URL('../test/', import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((f) => {
    const path = join(dir, f.name);
    if (f.isDirectory()) return f.name === 'node_modules' ? [] : sourceFiles(path);
    return f.name.endsWith('.ts') && !f.name.endsWith('.test.ts') ? [path] : [];
  });
}

interface Found {
  where: string;
  source: string;
  flags: string;
}

/** Regex literals, and `new RegExp`/`RegExp` calls whose pattern is a string literal. */
function regexesIn(file: string): Found[] {
  const text = readFileSync(file, 'utf8');
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: Found[] = [];
  const where = (node: ts.Node) =>
    `${relative(SRC, file)}:${sf.getLineAndCharacterOfPosition(node.getStart()).line + 1}`;
  const visit = (node: ts.Node): void => {
    if (ts.isRegularExpressionLiteral(node)) {
      const literal = node.text;
      const end = literal.lastIndexOf('/');
      found.push({ where: where(node), source: literal.slice(1, end), flags: literal.slice(end + 1) });
    } else if (
      (ts.isNewExpression(node) || ts.isCallExpression(node)) &&
      ts.isIdentifier(node.expression) &&
      node.expression.text === 'RegExp'
    ) {
      const [pattern, flags] = node.arguments ?? [];
      if (pattern && ts.isStringLiteralLike(pattern)) {
        found.push({
          where: where(node),
          source: pattern.text,
          flags: flags && ts.isStringLiteralLike(flags) ? flags.text : '',
        });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

const REGEXES = [...sourceFiles(SRC), ...sourceFiles(TEST_HELPERS)].flatMap(regexesIn);

/** `pattern` options of the example sources files: users copy them, so they must be linear too. */
function examplePatterns(): Found[] {
  const dir = new URL('../examples/', import.meta.url);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.source.yaml'))
    .flatMap((file) => {
      const fields =
        (readSourceExample(file).options as { fields?: Record<string, unknown> } | undefined)?.fields ?? {};
      return Object.entries(fields).flatMap(([field, spec]) => {
        const pattern = typeof spec === 'object' && spec !== null ? (spec as { pattern?: unknown }).pattern : undefined;
        return typeof pattern === 'string'
          ? [{ where: `examples/${file} fields.${field}`, source: pattern, flags: '' }]
          : [];
      });
    });
}

const EXAMPLE_PATTERNS = examplePatterns();

function expectLinear(r: Found): void {
  // Fixed seed: the fuzzer's verdicts do not change between runs.
  const result = checkSync(r.source, r.flags, { randomSeed: 42, timeout: 10_000 });
  const detail =
    result.status === 'vulnerable'
      ? `${result.complexity.type}, attack: ${result.attack.pattern}`
      : result.status === 'unknown'
        ? `unknown (${result.error.kind})`
        : '';
  expect(result.status, detail).toBe('safe');
}

describe('regular expressions in packages/sources/src', () => {
  it('finds the patterns it is meant to check', () => {
    // A sanity floor: the scan must not silently find nothing (the adapters have dozens).
    expect(REGEXES.length).toBeGreaterThan(20);
  });

  it.each(REGEXES.map((r) => [`${r.where} /${r.source}/${r.flags}`, r] as const))('%s is linear', (_name, r) =>
    expectLinear(r),
  );
});

describe('patterns in the example sources files', () => {
  it('has some', () => expect(EXAMPLE_PATTERNS.length).toBeGreaterThan(0));

  it.each(EXAMPLE_PATTERNS.map((r) => [`${r.where} /${r.source}/`, r] as const))('%s is linear', (_name, r) =>
    expectLinear(r),
  );
});
