import type { Config } from '@paperboy/config';
import type { DbOptions } from '@paperboy/db';

/**
 * The options of the API's read pool (the read API and `/dashboard`; main.ts): every statement
 * limited to PAPERBOY_API_STATEMENT_TIMEOUT_MS, and no JIT compilation (these are short queries
 * whose plans carry large estimated costs for gated branches that never run; compiling them costs
 * 20 to 200 ms and saves nothing). The primary pool (writes), migrations and every other process
 * keep Postgres's defaults.
 */
export function readPoolOptions(
  config: Pick<Config, 'apiStatementTimeoutMs'>,
  onConnectionError: (error: Error) => void,
): DbOptions {
  return {
    applicationName: 'paperboy-read',
    statementTimeoutMs: config.apiStatementTimeoutMs,
    noJit: true,
    onConnectionError,
  };
}
