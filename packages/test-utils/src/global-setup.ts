import { randomBytes } from 'node:crypto';
import type { TestProject } from 'vitest/node';
import { dropDatabase, prepareTemplate, startTestServices } from './services.js';

/**
 * Vitest global setup: real services once per run, the template database migrated once.
 * When no services can be had, unit tests still run; integration tests fail with the reason.
 */
export default async function setup(_project: TestProject) {
  try {
    const services = await startTestServices();
    process.env.TEST_DATABASE_URL = services.databaseUrl;
    process.env.TEST_REDIS_URL = services.redisUrl;
    const template = `paperboy_test_template_${randomBytes(4).toString('hex')}`;
    process.env.PAPERBOY_TEST_TEMPLATE = template;
    await prepareTemplate(services.databaseUrl, template);
    return async () => {
      await dropDatabase(services.databaseUrl, template).catch(() => {});
      await services.stop();
    };
  } catch (error) {
    process.env.PAPERBOY_TEST_SERVICES_ERROR = (error as Error).message;
    delete process.env.TEST_DATABASE_URL;
    delete process.env.TEST_REDIS_URL;
    return async () => {};
  }
}
