import type { TestProject } from 'vitest/node';
import { prepareTemplate, startTestServices } from './services.js';

/** Vitest global setup: real services once per run, the template database migrated once. */
export default async function setup(_project: TestProject) {
  const services = await startTestServices();
  process.env.TEST_DATABASE_URL = services.databaseUrl;
  process.env.TEST_REDIS_URL = services.redisUrl;
  await prepareTemplate(services.databaseUrl);
  return async () => {
    await services.stop();
  };
}
