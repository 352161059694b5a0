import {
  createEmptyDatabase,
  createTestDatabase,
  deleteRedisPrefix,
  dropDatabase,
  requireEnv,
  type TestDatabase,
  testQueuePrefix,
  withDatabase,
} from './services.js';

/**
 * What a test file on the shared Postgres and Redis sets up, in one place: a queue prefix of its own and the
 * Redis URL (known at once), a database of its own cloned from the migrated template (`start`, in beforeAll),
 * and `stop` (in afterAll), which drops that database and deletes the prefix's Redis keys. `stop` is safe
 * when `start` never ran or failed.
 */
export interface TestEnvironment {
  readonly prefix: string;
  readonly redisUrl: string;
  start(): Promise<TestDatabase>;
  stop(): Promise<void>;
  /**
   * What a paperboy process (the CLI, a service) needs to run on this environment, once `start` has
   * run. Enrichment is off (PAPERBOY_ENRICH=none): a test process never asks the real arXiv or
   * Hugging Face APIs; a test that enriches points PAPERBOY_ENRICH_*_URL at its own server.
   */
  processEnv(): { DATABASE_URL: string; REDIS_URL: string; PAPERBOY_QUEUE_PREFIX: string; PAPERBOY_ENRICH: string };
  /** Another database of that name on the test server, which the test creates (or has a command create) and drops. */
  otherDatabase(name: string): OtherDatabase;
}

export interface OtherDatabase {
  url: string;
  /** Creates it empty (not migrated). */
  create(): Promise<void>;
  /** Drops it if it exists. */
  drop(): Promise<void>;
}

export function testEnvironment(): TestEnvironment {
  const redisUrl = requireEnv('TEST_REDIS_URL');
  const prefix = testQueuePrefix();
  let database: TestDatabase | undefined;
  return {
    prefix,
    redisUrl,
    async start() {
      database = await createTestDatabase();
      return database;
    },
    async stop() {
      await database?.drop();
      database = undefined;
      await deleteRedisPrefix(redisUrl, prefix);
    },
    processEnv() {
      if (!database) throw new Error('testEnvironment: processEnv() before start()');
      return {
        DATABASE_URL: database.url,
        REDIS_URL: redisUrl,
        PAPERBOY_QUEUE_PREFIX: prefix,
        PAPERBOY_ENRICH: 'none',
      };
    },
    otherDatabase(name) {
      const serverUrl = requireEnv('TEST_DATABASE_URL');
      return {
        url: withDatabase(serverUrl, name),
        create: () => createEmptyDatabase(serverUrl, name),
        drop: () => dropDatabase(serverUrl, name),
      };
    },
  };
}
