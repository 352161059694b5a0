import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/{src,test}/**/*.test.ts', 'services/*/src/**/*.test.ts', 'test/e2e/**/*.test.ts'],
    globalSetup: ['packages/test-utils/src/global-setup.ts'],
    pool: 'forks',
    testTimeout: 90_000,
    hookTimeout: 60_000,
    reporters: ['default', './packages/test-utils/src/summary-reporter.ts'],
  },
});
