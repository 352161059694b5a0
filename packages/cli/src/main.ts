#!/usr/bin/env node
import { type Config, ConfigError, configHelp, loadConfig } from '@paperboy/config';
import type { Logger } from '@paperboy/logger';
import { type CommandSpec, formatHelp, parseCommandArgs, subcommand, UsageError } from './args.js';
import {
  AT_LEAST_ONCE,
  backfillSpec,
  dashboardSpec,
  demoSpec,
  digestSpec,
  eventsSpec,
  exportSpec,
  ingestDetails,
  ingestSpec,
  labelSpec,
  migrateSpec,
  reclassifySpec,
  replaySpec,
  sourcesSpec,
  startSpec,
  subscribersSpec,
  webhooksSpec,
} from './commands/specs.js';
import { wasInterrupted } from './interrupt.js';
import { parseProcesses, WORKER_COMMAND } from './processes.js';

interface Command {
  spec: CommandSpec;
  /** Help text computed when asked for (it may import what the command itself uses). */
  details?: () => Promise<string>;
  /** Resolves to the exit code; `null` keeps the process running (long-lived services). */
  run(args: ReturnType<typeof parseCommandArgs>, config: Config, logger: Logger): Promise<number | null>;
}

const json = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);

// Each command's implementation (and with it BullMQ, Kysely, pg, the services) is imported when the command runs,
// so that `--help` and usage errors answer at once.
const commands: Command[] = [
  {
    spec: migrateSpec,
    run: async (_args, config) => {
      const { migrate } = await import('./commands/migrate.js');
      json(await migrate(config));
      return 0;
    },
  },
  {
    spec: ingestSpec,
    details: ingestDetails,
    run: async ({ values }, config, logger) => {
      const processes = parseProcesses(values.processes as string | undefined, 'ingest') ?? config.processes;
      const { ingest, ingestFailed } = await import('./commands/ingest.js');
      const summary = await ingest(
        { ...config, processes },
        values.source as string | undefined,
        values.url as string[] | undefined,
        logger,
      );
      json(summary);
      return ingestFailed(summary) ? 1 : 0;
    },
  },
  {
    spec: exportSpec,
    run: async ({ values, positionals }, config) => {
      if (positionals.length > 1) throw new UsageError(`export: one dataset, got ${positionals.join(' ')}`, 'export');
      const { exportPapers } = await import('./commands/export.js');
      await exportPapers(config, positionals[0], values.format as string | undefined, process.stdout);
      return 0;
    },
  },
  {
    spec: startSpec,
    run: async ({ values }, config, logger) => {
      const processes = parseProcesses(values.processes as string | undefined, 'start') ?? config.processes;
      const { start } = await import('./commands/start.js');
      await start({ ...config, processes }, logger);
      return null;
    },
  },
  {
    spec: demoSpec,
    run: async (_args, config, logger) => {
      const [{ demo }, { ingestFailed }] = await Promise.all([
        import('./commands/demo.js'),
        import('./commands/ingest.js'),
      ]);
      const summaries = await demo(config, logger);
      return summaries.some(ingestFailed) ? 1 : 0;
    },
  },
  {
    spec: reclassifySpec,
    run: async ({ values }, config, logger) => {
      const raw = (values['batch-size'] as string | undefined) ?? '500';
      const size = Number(raw);
      if (!Number.isInteger(size) || size < 1 || size > 100_000)
        throw new UsageError(
          `reclassify: --batch-size must be an integer from 1 to 100000, got ${JSON.stringify(raw)}`,
          'reclassify',
        );
      const { reclassify } = await import('./commands/reclassify.js');
      json(await reclassify(config, size, logger));
      return 0;
    },
  },
  {
    spec: sourcesSpec,
    run: async ({ values }, config) => {
      const { formatSourcesTable, sourcesReport } = await import('./commands/sources.js');
      const reports = await sourcesReport(config);
      if (values.json) for (const r of reports) json(r);
      else process.stdout.write(`${formatSourcesTable(reports)}\n`);
      return 0;
    },
  },
  {
    spec: replaySpec,
    run: async ({ values }, config, logger) => {
      const { parseSince, replay } = await import('./commands/replay.js');
      const summary = await replay(
        config,
        {
          ...(values.source ? { source: values.source as string } : {}),
          ...(values.since ? { since: parseSince(values.since as string)! } : {}),
        },
        logger,
        config.batchSize,
      );
      json(summary);
      return summary.errors.length ? 1 : 0;
    },
  },
  {
    spec: backfillSpec,
    run: async ({ values }, config, logger) => {
      const { backfill } = await import('./commands/backfill.js');
      const summary = await backfill(config, values as { source?: string; from?: string; to?: string }, logger);
      json(summary);
      return summary.pagesFailed || summary.errors.length ? 1 : 0;
    },
  },
  {
    spec: subscribersSpec,
    run: async ({ values, positionals }, config) => {
      const { subscribers } = await import('./commands/subscribers.js');
      await subscribers(config, positionals, values as Record<string, string | boolean | undefined>, (line) =>
        process.stdout.write(`${line}\n`),
      );
      return 0;
    },
  },
  {
    spec: digestSpec,
    run: async ({ values, positionals }, config, logger) => {
      const [given, email, ...extra] = positionals;
      const action = subcommand('digest', given, ['run', 'preview', 'stuck', 'resend-stuck'] as const);
      if (extra.length) throw new UsageError(`digest: unexpected ${extra.join(' ')}`, 'digest');
      for (const [option, only] of [
        ['older-than', ['stuck', 'resend-stuck']],
        ['json', ['stuck']],
        ['yes', ['resend-stuck']],
      ] as const) {
        if (values[option] !== undefined && !(only as readonly string[]).includes(action))
          throw new UsageError(
            `digest ${action}: --${option} is an option of ${only.map((a) => `digest ${a}`).join(' and ')}`,
            'digest',
          );
      }
      if (action === 'stuck' || action === 'resend-stuck') {
        const { digestResendStuck, digestStuck, formatStuckTable, parseOlderThan, refuseResendWithoutYes } =
          await import('./commands/digest-stuck.js');
        if (email !== undefined)
          throw new UsageError(
            `digest ${action}: unexpected ${email} (it takes no address; --older-than chooses which)`,
            'digest',
          );
        const minutes = parseOlderThan(values['older-than'] as string | undefined, config, action);
        if (action === 'stuck') {
          const rows = await digestStuck(config, minutes);
          if (values.json) for (const r of rows) json(r);
          else process.stdout.write(`${formatStuckTable(rows, minutes)}\n`);
          return 0;
        }
        if (!values.yes) await refuseResendWithoutYes(config, minutes);
        const summary = await digestResendStuck(config, minutes, logger);
        process.stdout.write(
          `Re-sent ${summary.resent} stuck digest${summary.resent === 1 ? '' : 's'} (${AT_LEAST_ONCE}); ${summary.skipped} of subscribers no longer active finished as skipped.\n`,
        );
        json(summary);
        return summary.failed || summary.unfinished ? 1 : 0;
      }
      const { digestPreview, digestRun } = await import('./commands/digest.js');
      if (action === 'run') {
        if (email !== undefined)
          throw new UsageError(
            `digest run: unexpected ${email} (run takes no address; --frequency and --now choose what is sent)`,
            'digest',
          );
        const summary = await digestRun(
          config,
          { ...(values.frequency ? { frequency: values.frequency as string } : {}), now: Boolean(values.now) },
          logger,
        );
        json(summary);
        return summary.failed ? 1 : 0;
      }
      process.stdout.write(`${await digestPreview(config, email)}\n`);
      return 0;
    },
  },
  {
    spec: dashboardSpec,
    run: async ({ values, positionals }, config) => {
      const { dashboardCommand } = await import('./commands/dashboard.js');
      json(await dashboardCommand(config, positionals, values as { full?: boolean }));
      return 0;
    },
  },
  ...(
    [
      [webhooksSpec, 'webhooks'],
      [eventsSpec, 'events'],
    ] as const
  ).map(([spec, name]) => ({
    spec,
    // Both print their own lines: results on stdout, notes (a secret shown once, a warning) on stderr.
    run: async ({ values, positionals }: ReturnType<typeof parseCommandArgs>, config: Config) => {
      const command = (await import('./commands/webhooks.js'))[name];
      await command(
        config,
        positionals,
        values as Record<string, string | boolean | undefined>,
        (line) => process.stdout.write(`${line}\n`),
        (line) => process.stderr.write(`${line}\n`),
      );
      return 0;
    },
  })),
  {
    spec: labelSpec,
    run: async ({ values, positionals }, config) => {
      const { label } = await import('./commands/label.js');
      json(await label(config, positionals, values.topics as string | undefined));
      return 0;
    },
  },
];

function mainHelp(): string {
  const width = Math.max(...commands.map((c) => c.spec.name.length)) + 2;
  return [
    'paperboy: follow research papers as they trend.',
    '',
    'Usage: pnpm paperboy <command> [options]      (pnpm paperboy <command> --help for its options)',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.spec.name.padEnd(width)} ${c.spec.summary}`),
    '',
    'Exit status: 0 done; 1 the work failed (a page, a batch, an unreachable service); 2 a usage, configuration or sources file',
    'error, or Postgres refused the login.',
    '',
    'Environment:',
    ...Object.entries(configHelp).map(([key, text]) => `  ${key.padEnd(34)} ${text}`),
  ].join('\n');
}

async function main(argv: string[]): Promise<number | null> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    if (!name) {
      process.stderr.write(`${mainHelp()}\n`);
      return 2;
    }
    process.stdout.write(`${mainHelp()}\n`);
    return 0;
  }
  if (name === WORKER_COMMAND) return runWorker(rest);
  const command = commands.find((c) => c.spec.name === name);
  if (!command)
    throw new UsageError(`unknown command "${name}"; commands: ${commands.map((c) => c.spec.name).join(', ')}`);
  const args = parseCommandArgs(command.spec, rest);
  if (args.values.help) {
    const details = await command.details?.();
    process.stdout.write(`${formatHelp(details === undefined ? command.spec : { ...command.spec, details })}\n`);
    return 0;
  }
  const config = loadConfig();
  const { commandLogLevel, createLogger } = await import('@paperboy/logger');
  // A LOG_LEVEL set (non-empty, as loadConfig reads it) is taken as asked; otherwise a command's logs stay at warnings.
  const levelSet = Boolean(process.env.LOG_LEVEL);
  const level = command.spec.service
    ? config.logLevel
    : commandLogLevel(config.logLevel, { verbose: Boolean(args.values.verbose), levelSet });
  const logger = createLogger({ level, name: `paperboy-${name}` });
  try {
    return await command.run(args, config, logger);
  } catch (error) {
    // A refused login reads the same from every command, whichever query met it first.
    const { isLoginRefused, LoginRefusedError } = await import('@paperboy/db');
    if (isLoginRefused(error)) throw new LoginRefusedError(config.databaseUrl, error);
    throw error;
  }
}

/**
 * The hidden `worker` command: a worker process of `start` or `ingest` (processes.ts), started by them
 * with their configuration in its environment. Not listed in `--help`: nobody runs it by hand.
 */
async function runWorker(argv: string[]): Promise<null> {
  const spec: CommandSpec = {
    name: WORKER_COMMAND,
    summary: '',
    usage: '',
    options: {
      roles: { type: 'string', description: '' },
      index: { type: 'string', description: '' },
      'log-level': { type: 'string', description: '' },
    },
  };
  const { values } = parseCommandArgs(spec, argv);
  const config = loadConfig();
  const [{ createLogger }, { parseRoles, worker }] = await Promise.all([
    import('@paperboy/logger'),
    import('./commands/worker.js'),
  ]);
  const roles = parseRoles(values.roles as string | undefined);
  // JSON lines to the parent's pipe, written synchronously; once the parent is gone (the pipe broken) they
  // are dropped, so the stop that follows is not held up by writes that cannot succeed.
  let broken = false;
  process.stderr.on('error', () => {
    broken = true;
  });
  const logger = createLogger({
    level: (values['log-level'] as string | undefined) ?? config.logLevel,
    name: `paperboy-worker-${(values.index as string | undefined) ?? 0}`,
    stream: { write: (line: string) => broken || process.stderr.write(line) },
  });
  await worker(config, roles, logger);
  return null;
}

// `paperboy export … | head` closes stdout early: that is the reader's choice, not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

/** A connection error raised by pg (its stack runs through pg-pool or pg's client), not by Redis or a fetch. */
function isPostgresError(error: Error): boolean {
  return /[\\/]pg(?:-pool)?(?:@[^\\/]+)?[\\/]/.test(error.stack ?? '');
}

main(process.argv.slice(2)).then(
  (code) => {
    // Ctrl-C: the signal handler finishes the stop and exits 130.
    if (code !== null && !wasInterrupted()) {
      process.exitCode = code;
      // Let stdout drain, then leave even if a library keeps a handle open.
      setTimeout(() => process.exit(code), 200).unref();
    }
  },
  async (error: Error) => {
    if (wasInterrupted()) return; // what failed after Ctrl-C is the stop's doing; the handler says so and exits 130
    // The database's error texts, imported only for a database error (whose command has loaded that code already).
    const pg = isPostgresError(error) ? await import('./run-ingest.js') : undefined;
    if (error instanceof UsageError) {
      process.stderr.write(
        `paperboy: ${error.message}\n${error.command ? `Try: pnpm paperboy ${error.command} --help\n` : 'Try: pnpm paperboy --help\n'}`,
      );
      process.exitCode = 2;
    } else if (
      error instanceof ConfigError ||
      error.name === 'LoginRefusedError' ||
      error.constructor.name === 'SourcesFileError'
    ) {
      // Usage-like errors of the environment (matched by name: their modules load only with the command that met them).
      process.stderr.write(`paperboy: ${error.message}\n`);
      process.exitCode = 2;
    } else if (['42P01', '3D000', '42703'].includes((error as { code?: string }).code ?? '')) {
      // A missing table, database or column: the schema is older than the code.
      process.stderr.write(`paperboy: the database is not ready (${error.message}): run \`pnpm paperboy migrate\`\n`);
      process.exitCode = 1;
    } else if (pg?.UNREACHABLE_CODES.includes((error as { code?: string }).code ?? '')) {
      // Every command that opens the database says the same as the preflight of `ingest` and the like.
      process.stderr.write(`paperboy: ${pg.postgresUnreachable(error.message)}\n`);
      process.exitCode = 1;
    } else {
      const known =
        [
          'PreflightError',
          'RedisUnavailableError',
          'MigrationError',
          'TaxonomyError',
          'DatabaseUnavailableError',
        ].includes(error.constructor.name) || (error as { code?: string }).code === 'ECONNREFUSED';
      process.stderr.write(`paperboy: ${known ? error.message : (error.stack ?? error.message)}\n`);
      process.exitCode = 1;
    }
    setTimeout(() => process.exit(), 200).unref();
  },
);
