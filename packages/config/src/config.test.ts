import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './index.js';

describe('loadConfig', () => {
  it('has defaults that work on a developer machine', () => {
    const config = loadConfig({});
    expect(config.databaseUrl).toBe('postgres://127.0.0.1:5432/paperboy');
    expect(config.redisUrl).toBe('redis://127.0.0.1:6379');
    expect(config.fetch.allowPrivate).toBe(false);
    expect(config.batchSize).toBe(50);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.fetch)).toBe(true);
  });

  it('reads values and coerces numbers and flags', () => {
    const config = loadConfig({ PAPERBOY_FETCH_ALLOW_PRIVATE: '1', PAPERBOY_BATCH_SIZE: '20', LOG_LEVEL: 'debug' });
    expect(config.fetch.allowPrivate).toBe(true);
    expect(config.batchSize).toBe(20);
    expect(config.logLevel).toBe('debug');
  });

  it('names every bad setting with its value and the reason', () => {
    let error: unknown;
    try {
      loadConfig({ DATABASE_URL: 'mysql://x', PAPERBOY_BATCH_SIZE: 'lots', LOG_LEVEL: 'loud' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toContain('DATABASE_URL="mysql://x"');
    expect(message).toContain('PAPERBOY_BATCH_SIZE="lots"');
    expect(message).toContain('LOG_LEVEL="loud"');
    expect((error as ConfigError).problems).toHaveLength(3);
  });

  it('says what a number or a flag must be, and takes plain digits only', () => {
    const problems = (env: Record<string, string>) => {
      try {
        loadConfig(env);
        return [];
      } catch (error) {
        return (error as ConfigError).problems;
      }
    };
    for (const value of ['abc', '1e3', '0x20', '2.5', '-5', '5']) {
      expect(problems({ PAPERBOY_DASHBOARD_REFRESH_SECONDS: value }), value).toEqual([
        `PAPERBOY_DASHBOARD_REFRESH_SECONDS=${JSON.stringify(value)}: expected a whole number from 10 to 86400`,
      ]);
    }
    expect(loadConfig({ PAPERBOY_DASHBOARD_REFRESH_SECONDS: ' 60 ' }).dashboardRefreshSeconds).toBe(60);
    expect(problems({ PAPERBOY_SCHEDULES: 'maybe' })).toEqual(['PAPERBOY_SCHEDULES="maybe": expected 1 or 0 (also true/false, yes/no)']);
    expect(loadConfig({ PAPERBOY_SCHEDULES: 'no' }).schedules).toBe(false);
    expect(problems({ PORT: 'abc' })).toEqual(['PORT="abc": expected a whole number from 0 to 65535']);
    expect(loadConfig({ PORT: '8080', HOST: '127.0.0.1' }).api).toEqual({ host: '127.0.0.1', port: 8080 });
    for (const value of ['abc', '0x1', '1e0', '2']) {
      expect(problems({ PAPERBOY_NEAR_DUPLICATE_THRESHOLD: value }), value).toEqual([
        `PAPERBOY_NEAR_DUPLICATE_THRESHOLD=${JSON.stringify(value)}: expected a number from 0.3 to 1`,
      ]);
    }
    expect(loadConfig({ PAPERBOY_NEAR_DUPLICATE_THRESHOLD: '0.8' }).nearDuplicateThreshold).toBe(0.8);
  });

  it('treats empty values as unset', () => {
    expect(loadConfig({ REDIS_URL: '' }).redisUrl).toBe('redis://127.0.0.1:6379');
  });
});

describe('PAPERBOY_TRUST_PROXY', () => {
  const problem = (value: string) => {
    try {
      loadConfig({ PAPERBOY_TRUST_PROXY: value });
      return null;
    } catch (error) {
      return (error as ConfigError).problems.join('\n');
    }
  };

  it('trusts no proxy by default, and takes a hop count or addresses and ranges', () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ PAPERBOY_TRUST_PROXY: '0' }).trustProxy).toBe(false);
    expect(loadConfig({ PAPERBOY_TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ PAPERBOY_TRUST_PROXY: '127.0.0.1, 10.0.0.0/8,::1,fd00::/8,loopback' }).trustProxy).toEqual(['127.0.0.1', '10.0.0.0/8', '::1', 'fd00::/8', 'loopback']);
  });

  it('refuses anything else with a clear message, trust-everyone included', () => {
    for (const value of ['true', '*', '10.0.0.0/33', '::1/129', 'proxy.example.org', '1.2.3.4,', '1.2.3', '10.0.0.0/8/1']) {
      expect(problem(value), value).toMatch(/^PAPERBOY_TRUST_PROXY=".*": expected a hop count, or comma-separated IP addresses or CIDR ranges/);
    }
  });
});
