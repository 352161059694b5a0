import { type ParseArgsConfig, parseArgs } from 'node:util';

/** A mistake in how a command was called: printed as a one-line error with a pointer to --help. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly command?: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

/** "a", "a or b", "a, b or c". */
export function orList(items: readonly string[]): string {
  return items.length < 2 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;
}

/**
 * The subcommand a command was given (`dashboard refresh`), or a UsageError: one that says it is
 * missing (none, or an empty argument such as `''`) or names the unknown one, listing the valid ones.
 */
export function subcommand<T extends string>(
  command: string,
  given: string | undefined,
  valid: readonly T[],
  what = 'subcommand',
): T {
  if (given === undefined || given.trim() === '')
    throw new UsageError(`${command}: missing ${what}; expected ${orList(valid)}`, command);
  if (!(valid as readonly string[]).includes(given))
    throw new UsageError(`${command}: expected ${orList(valid)}, got ${JSON.stringify(given)}`, command);
  return given as T;
}

export interface OptionSpec {
  type: 'string' | 'boolean';
  multiple?: boolean;
  short?: string;
  description: string;
  valueName?: string;
}

export interface CommandSpec {
  name: string;
  summary: string;
  usage: string;
  options: Record<string, OptionSpec>;
  positionals?: string;
  details?: string;
  /** A service that runs until stopped (`start`): it logs at LOG_LEVEL, not at a command's warnings-only default. */
  service?: boolean;
}

/** Parses argv strictly: an unknown option, a missing value or a stray argument is a UsageError. */
export function parseCommandArgs(spec: CommandSpec, argv: string[]) {
  const options: ParseArgsConfig['options'] = {
    help: { type: 'boolean', short: 'h' },
    verbose: { type: 'boolean', short: 'v' },
  };
  for (const [name, option] of Object.entries(spec.options)) {
    options[name] = {
      type: option.type,
      ...(option.multiple ? { multiple: true } : {}),
      ...(option.short ? { short: option.short } : {}),
    };
  }
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: Boolean(spec.positionals) });
  } catch (error) {
    const message = (error as Error).message.replace(/\. To specify a positional argument.*$/s, '');
    throw new UsageError(message, spec.name);
  }
}

export function formatHelp(spec: CommandSpec): string {
  // A usage of several lines (one a subcommand) is aligned under the first.
  const lines = [
    spec.usage
      .split('\n')
      .map((u, i) => `${i ? '       ' : 'Usage: '}pnpm paperboy ${u}`)
      .join('\n'),
    '',
    spec.summary,
  ];
  if (spec.details) lines.push('', spec.details);
  const entries = Object.entries(spec.options);
  lines.push('', 'Options:');
  for (const [name, option] of entries) {
    const flag = `${option.short ? `-${option.short}, ` : '    '}--${name}${option.type === 'string' ? ` <${option.valueName ?? 'value'}>` : ''}`;
    lines.push(`  ${flag.padEnd(30)} ${option.description}`);
  }
  if (!spec.service)
    lines.push(
      `  ${'-v, --verbose'.padEnd(30)} show info logs too (default: warnings and errors only, unless LOG_LEVEL is set)`,
    );
  lines.push(`  ${'-h, --help'.padEnd(30)} show this help`);
  return lines.join('\n');
}
