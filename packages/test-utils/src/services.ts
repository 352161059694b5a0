import { randomBytes } from 'node:crypto';
import { connectionConfig, createDb, type Db, ensureDatabase, migrateToLatest, quoteIdentifier } from '@paperboy/db';
import { Redis } from 'ioredis';
import pg from 'pg';

/**
 * Real Postgres and Redis for tests: TEST_DATABASE_URL / TEST_REDIS_URL when set, else
 * containers started with testcontainers (needs a Docker engine), else a clear message.
 */
export interface TestServices {
  /** A URL of the Postgres server (any database the test user can connect to). */
  databaseUrl: string;
  redisUrl: string;
  stop(): Promise<void>;
}

/** The migrated template of this test run (one per run, so two runs on one server do not collide). */
export function templateDatabase(): string {
  return process.env.PAPERBOY_TEST_TEMPLATE ?? 'paperboy_test_template';
}

export async function startTestServices(): Promise<TestServices> {
  const databaseUrl = process.env.TEST_DATABASE_URL;
  const redisUrl = process.env.TEST_REDIS_URL;
  if (databaseUrl && redisUrl) return { databaseUrl, redisUrl, stop: async () => {} };
  let containers: Array<{ stop(): Promise<unknown> }> = [];
  try {
    const { GenericContainer, Wait } = await import('testcontainers');
    const startedPg = databaseUrl
      ? null
      : await new GenericContainer('postgres:16')
          .withEnvironment({ POSTGRES_PASSWORD: 'paperboy', POSTGRES_USER: 'paperboy', POSTGRES_DB: 'paperboy' })
          .withExposedPorts(5432)
          .withWaitStrategy(Wait.forLogMessage(/database system is ready to accept connections/, 2))
          .start();
    if (startedPg) containers.push(startedPg);
    const startedRedis = redisUrl ? null : await new GenericContainer('redis:7').withExposedPorts(6379).start();
    if (startedRedis) containers.push(startedRedis);
    return {
      databaseUrl:
        databaseUrl ??
        `postgres://paperboy:paperboy@${startedPg!.getHost()}:${startedPg!.getMappedPort(5432)}/paperboy`,
      redisUrl: redisUrl ?? `redis://${startedRedis!.getHost()}:${startedRedis!.getMappedPort(6379)}`,
      stop: async () => {
        await Promise.all(containers.map((c) => c.stop()));
      },
    };
  } catch (error) {
    await Promise.all(containers.map((c) => c.stop().catch(() => {})));
    containers = [];
    throw new Error(
      'Integration tests need Postgres and Redis. Set TEST_DATABASE_URL (e.g. postgres://127.0.0.1:5432/postgres) and ' +
        'TEST_REDIS_URL (e.g. redis://127.0.0.1:6379), or run a Docker engine so testcontainers can start them. ' +
        `testcontainers said: ${(error as Error).message}`,
    );
  }
}

export function withDatabase(url: string, name: string): string {
  const next = new URL(url);
  next.pathname = `/${name}`;
  return next.toString();
}

/** Migrates a fresh template database once per test run; each test file clones it. */
export async function prepareTemplate(serverUrl: string, name = templateDatabase()): Promise<void> {
  await dropDatabase(serverUrl, name);
  const url = withDatabase(serverUrl, name);
  await ensureDatabase(url);
  const db = createDb(url, { max: 1 });
  try {
    await migrateToLatest(db);
  } finally {
    await db.destroy();
  }
}

export interface TestDatabase {
  url: string;
  name: string;
  db: Db;
  drop(): Promise<void>;
}

/** A database of its own for one test file, cloned from the migrated template (fast: a file copy). */
export async function createTestDatabase(serverUrl = requireEnv('TEST_DATABASE_URL')): Promise<TestDatabase> {
  const name = `paperboy_test_${randomBytes(5).toString('hex')}`;
  await adminQuery(
    serverUrl,
    `CREATE DATABASE ${quoteIdentifier(name)} TEMPLATE ${quoteIdentifier(templateDatabase())}`,
  );
  const url = withDatabase(serverUrl, name);
  const db = createDb(url, { max: 10 });
  return {
    url,
    name,
    db,
    drop: async () => {
      await db.destroy();
      await dropDatabase(serverUrl, name);
    },
  };
}

/** A queue prefix of its own for one test file, and a way to delete its keys afterwards. */
export function testQueuePrefix(): string {
  return `pbtest-${randomBytes(4).toString('hex')}`;
}

export async function deleteRedisPrefix(redisUrl: string, prefix: string): Promise<void> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/** One statement on the server's admin connection (CREATE/DROP DATABASE cannot run in a pool's transaction). */
async function adminQuery(serverUrl: string, statement: string): Promise<void> {
  const client = new pg.Client(connectionConfig(serverUrl));
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

/** An empty database (not migrated), as a fresh deployment has before `paperboy migrate`. */
export async function createEmptyDatabase(serverUrl: string, name: string): Promise<void> {
  await adminQuery(serverUrl, `CREATE DATABASE ${quoteIdentifier(name)}`);
}

export async function dropDatabase(serverUrl: string, name: string): Promise<void> {
  await adminQuery(serverUrl, `DROP DATABASE IF EXISTS ${quoteIdentifier(name)} WITH (FORCE)`);
}

export function requireEnv(name: 'TEST_DATABASE_URL' | 'TEST_REDIS_URL'): string {
  const value = process.env[name];
  if (!value)
    throw new Error(
      process.env.PAPERBOY_TEST_SERVICES_ERROR ??
        `${name} is not set: the vitest global setup provides it (see vitest.config.ts)`,
    );
  return value;
}
