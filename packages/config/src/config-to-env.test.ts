import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { type Config, ConfigNotExpressibleError, configSchema, configToEnv, loadConfig } from './index.js';

/** A value other than the default for every setting: the round trip below must carry each of them. */
const everySetting: Record<keyof typeof configSchema.shape, string> = {
  DATABASE_URL: 'postgres://u:p@db.example:5433/papers',
  DATABASE_READ_URL: 'postgres://u:p@replica.example:5433/papers',
  REDIS_URL: 'rediss://:pw@redis.example:6380/2',
  LOG_LEVEL: 'debug',
  PAPERBOY_QUEUE_PREFIX: 'queues-x',
  PAPERBOY_ENRICH: 'hf',
  PAPERBOY_ENRICH_ARXIV_URL: 'http://arxiv.example:8080/api/query',
  PAPERBOY_ENRICH_HF_URL: 'http://hf.example/api/papers',
  PAPERBOY_ENRICH_REFRESH_DAYS: '3',
  PAPERBOY_KEY_PREFIX: 'keys-x',
  PAPERBOY_FETCH_ALLOW_PRIVATE: 'yes',
  PAPERBOY_FETCH_TIMEOUT_MS: '1234',
  PAPERBOY_FETCH_MAX_BYTES: '4096',
  PAPERBOY_FETCH_MAX_REDIRECTS: '2',
  PAPERBOY_FETCH_CONCURRENCY: '7',
  PAPERBOY_FETCH_ATTEMPTS: '9',
  PAPERBOY_MAX_CRAWL_DELAY_SECONDS: '33',
  PAPERBOY_USER_AGENT: 'testbot/2 (+https://example.org)',
  PAPERBOY_CONTACT_URL: 'mailto:ops@example.org',
  PAPERBOY_SOURCES: '/etc/paperboy/sources.yaml',
  PAPERBOY_ARCHIVE_RETENTION_DAYS: '12',
  PAPERBOY_RECONCILE_GRACE_MINUTES: '7',
  PAPERBOY_PUBLIC_URL: 'https://papers.example.org//',
  PAPERBOY_SECRET: 'Zq8wL3mR9tXv2bN6pK4sY7cH1dF5gJ0a',
  SMTP_URL: 'smtps://user:pass@mail.example.org:465',
  PAPERBOY_OUTBOX_DIR: 'relative/outbox',
  PAPERBOY_MAIL_FROM: 'Papers <p@example.org>',
  PAPERBOY_MAIL_PER_MINUTE: '61',
  PAPERBOY_BOUNCE_LIMIT: '4',
  PAPERBOY_CONFIRMATIONS_PER_HOUR: '5',
  PAPERBOY_SKIP_EMPTY_DIGESTS: 'false',
  PAPERBOY_NOTIFY_CONCURRENCY: '3',
  PAPERBOY_MAIL_CHUNK_SIZE: '23',
  PAPERBOY_SMTP_CONNECTIONS: '4',
  PAPERBOY_STUCK_DELIVERY_MINUTES: '44',
  PAPERBOY_RANK_TRENDING_WEIGHT: '0.8',
  PAPERBOY_RANK_RELEVANCE_WEIGHT: '1.5',
  PAPERBOY_RANK_AUTHOR_BOOST: '0',
  PAPERBOY_RANK_KEYWORD_BOOST: '2',
  PAPERBOY_HEALTH_PORT: '9099',
  PAPERBOY_ADMIN_TOKEN: 'an-admin-token-of-some-length',
  PAPERBOY_BATCH_SIZE: '17',
  PAPERBOY_PROCESSOR_CONCURRENCY: '6',
  PAPERBOY_NEAR_DUPLICATE_THRESHOLD: '0.81',
  PAPERBOY_TAXONOMY: '/etc/paperboy/taxonomy.yaml',
  PAPERBOY_SHUTDOWN_TIMEOUT_MS: '4321',
  PAPERBOY_JOB_LOCK_MS: '2500',
  PAPERBOY_STALE_CRAWL_MS: '99999',
  PAPERBOY_DASHBOARD_REFRESH_SECONDS: '77',
  PAPERBOY_SCHEDULES: 'no',
  PAPERBOY_SCHEDULE_CHECK_SECONDS: '13',
  PAPERBOY_PROCESSES: '3',
  PORT: '0',
  HOST: '127.0.0.1',
  PAPERBOY_TRUST_PROXY: '10.0.0.0/8, loopback',
  PAPERBOY_PUBLIC_DASHBOARD: 'true',
  PAPERBOY_READ_PER_MINUTE: '999',
  PAPERBOY_READ_CACHE_MS: '750',
  PAPERBOY_API_STATEMENT_TIMEOUT_MS: '1500',
  PAPERBOY_EVENT_RETENTION_DAYS: '9',
  PAPERBOY_EVENT_UPVOTE_THRESHOLDS: '10,20',
  PAPERBOY_EVENT_TRENDING_TOP: '5',
  PAPERBOY_EVENT_RELAY_MS: '250',
  PAPERBOY_EVENT_STREAM_CLIENTS: '7',
  PAPERBOY_WEBHOOK_TIMEOUT_MS: '2500',
  PAPERBOY_WEBHOOK_RETRY_BASE_MS: '20',
  PAPERBOY_WEBHOOK_RETRY_MAX_MS: '20000',
  PAPERBOY_WEBHOOK_DISABLE_AFTER_MINUTES: '3',
  PAPERBOY_WEBHOOK_CONCURRENCY: '2',
  PAPERBOY_WEBHOOK_ALLOW_PRIVATE: '1',
};

const roundTrip = (config: Config) => loadConfig(configToEnv(config));

describe('configToEnv', () => {
  it('is the inverse of loadConfig, over every setting', () => {
    const config = loadConfig(everySetting);
    const defaults = loadConfig({});
    // Each setting above really moved the Config away from the defaults (else the round trip proves nothing of it);
    // the contact URL shows only inside the User-Agent, which is then set too.
    for (const [key, value] of Object.entries(everySetting)) {
      const without: Record<string, string> = { ...everySetting };
      delete without[key];
      const alone = key === 'PAPERBOY_CONTACT_URL' ? {} : without;
      expect(loadConfig(alone), `${key}=${value} changes nothing`).not.toEqual(
        key === 'PAPERBOY_CONTACT_URL' ? loadConfig({ [key]: value }) : config,
      );
    }
    expect(config).not.toEqual(defaults);
    expect(roundTrip(config)).toEqual(config);
    expect(roundTrip(defaults)).toEqual(defaults);
    expect(Object.keys(configToEnv(config)).sort()).toEqual(Object.keys(configSchema.shape).sort());
  });

  it('carries the variants: a cluster prefix, trust by hop count, no read replica, contact URL in the User-Agent', () => {
    for (const env of [
      { REDIS_URL: 'redis+cluster://a:7000,b:7001', PAPERBOY_QUEUE_PREFIX: 'pb' },
      { REDIS_URL: 'redis+cluster://a:7000', PAPERBOY_QUEUE_PREFIX: 'pb', PAPERBOY_KEY_PREFIX: 'other' },
      { PAPERBOY_TRUST_PROXY: '2' },
      { PAPERBOY_TRUST_PROXY: '0' },
      { PAPERBOY_CONTACT_URL: 'mailto:someone@example.org' },
      { PAPERBOY_PROCESSES: '1' },
    ]) {
      const config = loadConfig(env);
      expect(roundTrip(config), JSON.stringify(env)).toEqual(config);
    }
  });

  it('carries values set in code, as tests and the bench build them', () => {
    const base = loadConfig({});
    const config = Object.freeze({
      ...base,
      databaseUrl: 'postgres://127.0.0.1:5432/some_test_db',
      queuePrefix: 'test-prefix-1',
      sourcesPath: '/tmp/sources.test.yaml',
      fetch: Object.freeze({ ...base.fetch, allowPrivate: true }),
      processes: 2,
    });
    const back = roundTrip(config);
    expect(back).toEqual(config);
    // The queue prefix was changed alone: paperboy's own keys keep the prefix they had.
    expect(back.keyPrefix).toBe('paperboy');
    expect(back.databaseReadUrl).toBe(base.databaseReadUrl);
  });

  it('refuses a Config no environment gives, rather than hand a child another one', () => {
    const base = loadConfig({});
    expect(() => configToEnv({ ...base, reconcileGraceMs: 90_500 })).toThrow(ConfigNotExpressibleError);
    expect(() => configToEnv({ ...base, fetch: { ...base.fetch, maxCrawlDelayMs: 1500 } })).toThrow(/whole number/);
    expect(() => configToEnv({ ...base, redisCluster: true })).toThrow(/does not follow/);
  });
});

describe('PAPERBOY_PROCESSES', () => {
  it('defaults to the cores the machine offers and takes 1 to 256', () => {
    expect(loadConfig({}).processes).toBe(Math.min(256, availableParallelism()));
    expect(loadConfig({ PAPERBOY_PROCESSES: '1' }).processes).toBe(1);
    for (const bad of ['0', '-1', 'abc', '1000', '1.5'])
      expect(() => loadConfig({ PAPERBOY_PROCESSES: bad }), bad).toThrow(/PAPERBOY_PROCESSES.*from 1 to 256/);
  });
});
