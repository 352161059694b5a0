import { describe, expect, it } from 'vitest';
import { ConfigError, configHelp, loadConfig, parseRedisClusterUrl } from './index.js';

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

  it('keeps read answers 2 s unless PAPERBOY_READ_CACHE_MS says otherwise (0 = off), and refuses anything but 0..60000', () => {
    expect(loadConfig({}).readCacheMs).toBe(2000);
    expect(loadConfig({ PAPERBOY_READ_CACHE_MS: '0' }).readCacheMs).toBe(0);
    expect(loadConfig({ PAPERBOY_READ_CACHE_MS: '500' }).readCacheMs).toBe(500);
    for (const bad of ['-1', '60001', '1.5', 'soon']) {
      expect(() => loadConfig({ PAPERBOY_READ_CACHE_MS: bad }), bad).toThrow(`PAPERBOY_READ_CACHE_MS="${bad}"`);
    }
  });

  it('limits the API read queries to 5 s unless PAPERBOY_API_STATEMENT_TIMEOUT_MS says otherwise (0 = none), and refuses anything but 0..600000', () => {
    expect(loadConfig({}).apiStatementTimeoutMs).toBe(5000);
    expect(loadConfig({ PAPERBOY_API_STATEMENT_TIMEOUT_MS: '0' }).apiStatementTimeoutMs).toBe(0);
    expect(loadConfig({ PAPERBOY_API_STATEMENT_TIMEOUT_MS: '250' }).apiStatementTimeoutMs).toBe(250);
    for (const bad of ['-1', '600001', '2.5', '5s']) {
      expect(() => loadConfig({ PAPERBOY_API_STATEMENT_TIMEOUT_MS: bad }), bad).toThrow(
        `PAPERBOY_API_STATEMENT_TIMEOUT_MS="${bad}"`,
      );
    }
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
    expect(problems({ PAPERBOY_SCHEDULES: 'maybe' })).toEqual([
      'PAPERBOY_SCHEDULES="maybe": expected 1 or 0 (also true/false, yes/no)',
    ]);
    expect(loadConfig({ PAPERBOY_SCHEDULES: 'no' }).schedules).toBe(false);
    expect(loadConfig({}).scheduleCheckSeconds).toBe(60);
    expect(loadConfig({ PAPERBOY_SCHEDULE_CHECK_SECONDS: '5' }).scheduleCheckSeconds).toBe(5);
    for (const value of ['0', '3601', 'soon']) {
      expect(problems({ PAPERBOY_SCHEDULE_CHECK_SECONDS: value }), value).toEqual([
        `PAPERBOY_SCHEDULE_CHECK_SECONDS=${JSON.stringify(value)}: expected a whole number from 1 to 3600`,
      ]);
    }
    expect(problems({ PORT: 'abc' })).toEqual(['PORT="abc": expected a whole number from 0 to 65535']);
    expect(loadConfig({ PORT: '8080', HOST: '127.0.0.1' }).api).toEqual({ host: '127.0.0.1', port: 8080 });
    for (const value of ['abc', '0x1', '1e0', '2']) {
      expect(problems({ PAPERBOY_NEAR_DUPLICATE_THRESHOLD: value }), value).toEqual([
        `PAPERBOY_NEAR_DUPLICATE_THRESHOLD=${JSON.stringify(value)}: expected a number from 0.3 to 1`,
      ]);
    }
    expect(loadConfig({ PAPERBOY_NEAR_DUPLICATE_THRESHOLD: '0.8' }).nearDuplicateThreshold).toBe(0.8);
  });

  it('enriches with both APIs at their real URLs unless PAPERBOY_ENRICH says otherwise, and refuses an unknown kind', () => {
    expect(loadConfig({}).enrich).toEqual({
      kinds: ['arxiv', 'hf'],
      arxivUrl: 'https://export.arxiv.org/api/query',
      hfUrl: 'https://huggingface.co/api/papers',
      refreshDays: 7,
    });
    expect(loadConfig({ PAPERBOY_ENRICH: 'none' }).enrich.kinds).toEqual([]);
    expect(loadConfig({ PAPERBOY_ENRICH: ' hf , arxiv,hf' }).enrich.kinds).toEqual(['arxiv', 'hf']);
    expect(loadConfig({ PAPERBOY_ENRICH: 'hf' }).enrich.kinds).toEqual(['hf']);
    expect(() => loadConfig({ PAPERBOY_ENRICH: 'arxiv,s2' })).toThrow(/PAPERBOY_ENRICH.*got s2/s);
    expect(() => loadConfig({ PAPERBOY_ENRICH_ARXIV_URL: 'ftp://x' })).toThrow(/PAPERBOY_ENRICH_ARXIV_URL/);
  });

  it('caps robots.txt Crawl-delay at PAPERBOY_MAX_CRAWL_DELAY_SECONDS, 60 s unless set, and says what it must be', () => {
    expect(loadConfig({}).fetch.maxCrawlDelayMs).toBe(60_000);
    expect(loadConfig({ PAPERBOY_MAX_CRAWL_DELAY_SECONDS: '600' }).fetch.maxCrawlDelayMs).toBe(600_000);
    for (const value of ['0', '-1', '86401', '1.5', 'a day']) {
      expect(() => loadConfig({ PAPERBOY_MAX_CRAWL_DELAY_SECONDS: value }), value).toThrow(
        `PAPERBOY_MAX_CRAWL_DELAY_SECONDS=${JSON.stringify(value)}: expected a whole number from 1 to 86400`,
      );
    }
  });

  it('counts a delivery as stuck after PAPERBOY_STUCK_DELIVERY_MINUTES claimed, 15 unless set, and says what it must be', () => {
    expect(loadConfig({}).mail.stuckMinutes).toBe(15);
    expect(loadConfig({ PAPERBOY_STUCK_DELIVERY_MINUTES: '90' }).mail.stuckMinutes).toBe(90);
    for (const value of ['0', '-1', '1.5', 'soon', '10081']) {
      expect(() => loadConfig({ PAPERBOY_STUCK_DELIVERY_MINUTES: value }), value).toThrow(
        `PAPERBOY_STUCK_DELIVERY_MINUTES=${JSON.stringify(value)}: expected a whole number from 1 to 10080`,
      );
    }
    expect(configHelp.PAPERBOY_STUCK_DELIVERY_MINUTES).toMatch(/stuck.*default 15/);
  });

  it('reads the events and webhook settings, and refuses a thresholds list with a non-number or a first retry longer than the longest', () => {
    expect(loadConfig({}).events.upvoteThresholds).toEqual([50, 100, 200, 500]);
    expect(loadConfig({ PAPERBOY_EVENT_UPVOTE_THRESHOLDS: ' 100, 10,100 ' }).events.upvoteThresholds).toEqual([
      10, 100,
    ]);
    expect(loadConfig({ PAPERBOY_EVENT_UPVOTE_THRESHOLDS: '' }).events.upvoteThresholds).toEqual([50, 100, 200, 500]);
    expect(loadConfig({ PAPERBOY_EVENT_UPVOTE_THRESHOLDS: 'none' }).events.upvoteThresholds).toEqual([]);
    expect(() => loadConfig({ PAPERBOY_EVENT_UPVOTE_THRESHOLDS: '1,x' })).toThrow(/got "x"/);
    expect(() => loadConfig({ PAPERBOY_WEBHOOK_RETRY_MAX_MS: '1000' })).toThrow(
      /PAPERBOY_WEBHOOK_RETRY_BASE_MS=10000 is more than PAPERBOY_WEBHOOK_RETRY_MAX_MS=1000/,
    );
    expect(
      loadConfig({ PAPERBOY_WEBHOOK_RETRY_BASE_MS: '1000', PAPERBOY_WEBHOOK_RETRY_MAX_MS: '1000' }).webhooks,
    ).toMatchObject({
      retryBaseMs: 1000,
      retryMaxMs: 1000,
    });
  });

  it('weighs the digest ranking by PAPERBOY_RANK_*, 1, 2, 0.5 and 0.3 unless set, and refuses anything but a non-negative number', () => {
    expect(loadConfig({}).ranking).toEqual({ trending: 1, relevance: 2, author: 0.5, keyword: 0.3 });
    expect(
      loadConfig({
        PAPERBOY_RANK_TRENDING_WEIGHT: '0',
        PAPERBOY_RANK_RELEVANCE_WEIGHT: '2.5',
        PAPERBOY_RANK_AUTHOR_BOOST: '10',
        PAPERBOY_RANK_KEYWORD_BOOST: '0.05',
      }).ranking,
    ).toEqual({ trending: 0, relevance: 2.5, author: 10, keyword: 0.05 });
    for (const key of [
      'PAPERBOY_RANK_TRENDING_WEIGHT',
      'PAPERBOY_RANK_RELEVANCE_WEIGHT',
      'PAPERBOY_RANK_AUTHOR_BOOST',
      'PAPERBOY_RANK_KEYWORD_BOOST',
    ]) {
      for (const value of ['-1', '-0.5', 'heavy', '1e3', '1001']) {
        expect(() => loadConfig({ [key]: value }), `${key}=${value}`).toThrow(
          `${key}=${JSON.stringify(value)}: expected a number from 0 to 1000`,
        );
      }
    }
  });

  it('reads the read API and dashboard from DATABASE_READ_URL, DATABASE_URL unless set, and checks it like DATABASE_URL', () => {
    expect(loadConfig({}).databaseReadUrl).toBe('postgres://127.0.0.1:5432/paperboy');
    expect(loadConfig({ DATABASE_URL: 'postgres://db:5432/p' }).databaseReadUrl).toBe('postgres://db:5432/p');
    expect(loadConfig({ DATABASE_URL: 'postgres://db:5432/p', DATABASE_READ_URL: '' }).databaseReadUrl).toBe(
      'postgres://db:5432/p',
    );
    const both = loadConfig({
      DATABASE_URL: 'postgres://primary:5432/p',
      DATABASE_READ_URL: 'postgresql://replica:5432/p',
    });
    expect([both.databaseUrl, both.databaseReadUrl]).toEqual([
      'postgres://primary:5432/p',
      'postgresql://replica:5432/p',
    ]);
    for (const value of ['mysql://replica/p', 'replica:5432']) {
      expect(() => loadConfig({ DATABASE_READ_URL: value }), value).toThrow(
        `DATABASE_READ_URL=${JSON.stringify(value)}: expected a URL starting with postgres:// or postgresql://`,
      );
    }
    // A URL without a database would put the tables in the user's namesake database.
    for (const [name, value] of [
      ['DATABASE_URL', 'postgres://postgres@127.0.0.1:5432'],
      ['DATABASE_URL', 'postgres://127.0.0.1:5432/'],
      ['DATABASE_READ_URL', 'postgresql://replica:5432'],
    ] as const) {
      expect(() => loadConfig({ [name]: value }), value).toThrow(
        `${name}=${JSON.stringify(value)}: name the database in the URL (postgres://host:5432/paperboy)`,
      );
    }
    expect(configHelp.DATABASE_READ_URL).toMatch(/replica.*default: DATABASE_URL/);
  });

  it('treats empty values as unset', () => {
    expect(loadConfig({ REDIS_URL: '' }).redisUrl).toBe('redis://127.0.0.1:6379');
  });

  it('leaves the link secret to the database when PAPERBOY_SECRET is unset (no secret printed in the source)', () => {
    expect(loadConfig({}).mail.secret).toBeUndefined();
    expect(loadConfig({ PAPERBOY_SECRET: '' }).mail.secret).toBeUndefined();
    const strong = 'k7Qw2xV9pL4mZ8rT1yB6nH3cJ5dF0gS-uE';
    expect(loadConfig({ PAPERBOY_SECRET: strong }).mail.secret).toBe(strong);
  });

  it('refuses a short or published PAPERBOY_SECRET in one line that names it and does not echo it', () => {
    for (const value of [
      'paperboy-development-secret-not-for-production', // the old built-in default
      'change-me-to-a-long-random-secret', // the old docker-compose placeholder
      'CHANGE-ME-to-a-long-random-secret',
      'changeme',
      'secret',
      'a-test-secret-of-16+chars', // 16+ was enough before; 32 now
      'x'.repeat(40),
      'changemechangemechangemechangeme!',
    ]) {
      let error: unknown;
      try {
        loadConfig({ PAPERBOY_SECRET: value });
      } catch (e) {
        error = e;
      }
      expect(error, value).toBeInstanceOf(ConfigError);
      const problems = (error as ConfigError).problems;
      expect(problems, value).toHaveLength(1);
      expect(problems[0]).toMatch(/^PAPERBOY_SECRET /);
      expect(problems[0]).not.toContain('\n');
      expect(problems[0]).not.toContain(JSON.stringify(value));
      if (value.length > 8) expect(problems[0]).not.toContain(value);
    }
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
    expect(loadConfig({ PAPERBOY_TRUST_PROXY: '127.0.0.1, 10.0.0.0/8,::1,fd00::/8,loopback' }).trustProxy).toEqual([
      '127.0.0.1',
      '10.0.0.0/8',
      '::1',
      'fd00::/8',
      'loopback',
    ]);
  });

  it('refuses anything else with a clear message, trust-everyone included', () => {
    for (const value of [
      'true',
      '*',
      '10.0.0.0/33',
      '::1/129',
      'proxy.example.org',
      '1.2.3.4,',
      '1.2.3',
      '10.0.0.0/8/1',
    ]) {
      expect(problem(value), value).toMatch(
        /^PAPERBOY_TRUST_PROXY=".*": expected a hop count, or comma-separated IP addresses or CIDR ranges/,
      );
    }
  });
});

describe('REDIS_URL for a Redis Cluster', () => {
  const problem = (value: string) => {
    try {
      loadConfig({ REDIS_URL: value });
      return null;
    } catch (error) {
      return (error as ConfigError).problems.join('\n');
    }
  };

  it('redis+cluster:// names the seed nodes; the queue prefix is then a hash tag, the key prefix stays plain', () => {
    const config = loadConfig({
      REDIS_URL: 'redis+cluster://10.0.0.1:7000,10.0.0.2:7001',
      PAPERBOY_QUEUE_PREFIX: 'pb',
    });
    expect(config).toMatchObject({ redisCluster: true, queuePrefix: '{pb}', keyPrefix: 'pb' });
    expect(loadConfig({ PAPERBOY_QUEUE_PREFIX: 'pb' })).toMatchObject({
      redisCluster: false,
      queuePrefix: 'pb',
      keyPrefix: 'pb',
    });
    expect(parseRedisClusterUrl('rediss+cluster://user:p%40ss@a.example:7000,[::1]:7001/0')).toEqual({
      nodes: [
        { host: 'a.example', port: 7000 },
        { host: '::1', port: 7001 },
      ],
      username: 'user',
      password: 'p@ss',
      tls: true,
    });
  });

  it('refuses a malformed cluster URL, a database other than 0, and several nodes without the cluster form, each with a clear message', () => {
    expect(problem('redis+cluster://10.0.0.1,10.0.0.2:7001')).toMatch(
      /"10\.0\.0\.1" is not host:port; expected redis\+cluster:\/\/\[user:password@\]host:port/,
    );
    expect(problem('redis+cluster://10.0.0.1:70000')).toMatch(/is not host:port/);
    expect(problem('redis+cluster://10.0.0.1:7000/2')).toMatch(/a Redis Cluster has only database 0, not \/2/);
    expect(problem('redis+cluster://')).toMatch(/expected redis\+cluster:\/\//);
    expect(problem('redis://10.0.0.1:7000,10.0.0.2:7001')).toMatch(
      /several nodes are a cluster: redis\+cluster:\/\/host:port,host:port/,
    );
    expect(problem('http://10.0.0.1:7000')).toMatch(/expected a URL starting with redis:\/\/ or rediss:\/\//);
  });
});
