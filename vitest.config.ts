import { defaultClientConditions, defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

// Workspace packages export `source` (their TypeScript) besides `default` (dist/, for production): tests run the
// source. Vite's conditions replace its defaults rather than adding to them, hence the defaults spread in; the tests
// run in Vite's server (SSR) environment, which reads ssr.resolve.conditions.
export const conditions = {
  resolve: { conditions: ['source', ...defaultClientConditions] },
  ssr: { resolve: { conditions: ['source', ...defaultServerConditions] } },
};

export default defineConfig({
  ...conditions,
  test: {
    include: ['packages/*/{src,test}/**/*.test.ts', 'services/*/src/**/*.test.ts', 'test/e2e/**/*.test.ts'],
    globalSetup: ['packages/test-utils/src/global-setup.ts'],
    pool: 'forks',
    testTimeout: 90_000,
    hookTimeout: 60_000,
    reporters: ['default', './packages/test-utils/src/summary-reporter.ts'],
  },
});
