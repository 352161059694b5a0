import { defineConfig } from 'vitest/config';
import { conditions } from './vitest.config.js';

// The chaos suite (`pnpm test:chaos`): its own Redis and Postgres servers, started by the tests,
// so no global setup. Files run one after another (each starts three services and injects faults);
// `pnpm test` does not include test/chaos.
export default defineConfig({
  ...conditions,
  test: {
    include: ['test/chaos/**/*.chaos.test.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 300_000,
    hookTimeout: 120_000,
    reporters: ['default'],
  },
});
