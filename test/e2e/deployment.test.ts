import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTestDatabase, type TestDatabase } from '@paperboy/test-utils';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import { root } from './helpers.js';

/**
 * No Docker engine runs here, so the deployment files are checked by schema: the compose file's
 * shape and references, the Grafana provisioning, and every dashboard query run against the real,
 * migrated schema.
 */
const read = (path: string) => readFileSync(join(root, path), 'utf8');

const service = z
  .object({
    image: z.string().optional(),
    build: z.object({ context: z.string(), dockerfile: z.string() }).optional(),
    command: z.array(z.string()).optional(),
    entrypoint: z.array(z.string()).optional(),
    environment: z.record(z.string(), z.string()).optional(),
    depends_on: z
      .record(
        z.string(),
        z.object({ condition: z.enum(['service_healthy', 'service_completed_successfully', 'service_started']) }),
      )
      .optional(),
    volumes: z.array(z.string()).optional(),
    ports: z.array(z.string()).optional(),
    profiles: z.array(z.string()).optional(),
    restart: z.string().optional(),
    deploy: z.object({ replicas: z.number().int() }).optional(),
    healthcheck: z
      .object({ test: z.array(z.string()).optional(), disable: z.boolean().optional() })
      .passthrough()
      .optional(),
  })
  .strict();
const composeSchema = z
  .object({ services: z.record(z.string(), service), volumes: z.record(z.string(), z.null()) })
  .passthrough();

/**
 * An entrypoint the image runs is compiled JavaScript (`pnpm build` in the image's build stage writes dist/):
 * its TypeScript source exists, and its package's build config compiles src/ to dist/.
 */
function expectBuiltEntry(entry: string) {
  const match = /^((?:packages|services)\/[\w-]+)\/dist\/(.+)\.js$/.exec(entry);
  expect(match, entry).not.toBeNull();
  const [, dir, module] = match!;
  expect(existsSync(join(root, dir!, 'src', `${module}.ts`)), `${dir}/src/${module}.ts`).toBe(true);
  const tsconfig = JSON.parse(read(`${dir}/tsconfig.json`)) as {
    compilerOptions?: { rootDir?: string; outDir?: string };
  };
  expect(tsconfig.compilerOptions, `${dir}/tsconfig.json`).toMatchObject({ rootDir: 'src', outDir: 'dist' });
  const build = JSON.parse(read('tsconfig.build.json')) as { references: Array<{ path: string }> };
  expect(build.references.map((r) => r.path.replace(/^\.\//, ''))).toContain(dir);
}

describe('docker-compose.yml', () => {
  const compose = composeSchema.parse(parse(read('docker-compose.yml'), { merge: true }));

  it('brings up every part, with Redis configured for queues', () => {
    expect(Object.keys(compose.services).sort()).toEqual([
      'api',
      'cli',
      'fetcher',
      'grafana',
      'mailpit',
      'migrate',
      'notifier',
      'postgres',
      'processor',
      'redis',
    ]);
    expect(compose.services.processor!.deploy?.replicas).toBe(2);
    expect(compose.services.grafana!.profiles).toEqual(['grafana']);
    expect(compose.services.redis!.volumes).toContain('./infra/redis.conf:/usr/local/etc/redis/redis.conf:ro');
    const redisConf = read('infra/redis.conf');
    expect(redisConf).toMatch(/^appendonly yes$/m);
    expect(redisConf).toMatch(/^maxmemory-policy noeviction$/m);
  });

  it('starts services after a healthy database, a healthy Redis and a finished migration, each with its entrypoint', () => {
    for (const name of ['fetcher', 'processor', 'notifier', 'api']) {
      const s = compose.services[name]!;
      expect(s.depends_on).toEqual({
        postgres: { condition: 'service_healthy' },
        redis: { condition: 'service_healthy' },
        migrate: { condition: 'service_completed_successfully' },
      });
      expectBuiltEntry(s.command![0]!);
      expect(s.healthcheck?.test?.join(' ')).toMatch(/readyz/);
    }
    expect(compose.services.migrate!.command).toEqual(['packages/cli/dist/main.js', 'migrate']);
    expectBuiltEntry(compose.services.migrate!.command![0]!);
    expect(compose.services.cli!.entrypoint).toEqual(['node', 'packages/cli/dist/main.js']);
    expect(compose.services.api!.environment?.PAPERBOY_ADMIN_TOKEN).toBeDefined();
  });

  it("ships no link secret: an operator's PAPERBOY_SECRET is passed through, else the services share the one generated in the database", () => {
    for (const name of ['fetcher', 'processor', 'notifier', 'api', 'cli']) {
      const value = compose.services[name]!.environment?.PAPERBOY_SECRET;
      // `${PAPERBOY_SECRET:-}` is empty when unset, which the config reads as unset; never a fallback value.
      if (value !== undefined) expect(value, name).toMatch(/^\$\{PAPERBOY_SECRET(:-)?\}$/);
    }
    expect(compose.services.migrate!.environment?.PAPERBOY_SECRET).toBeUndefined();
    expect(read('docker-compose.yml')).not.toMatch(/change-?me/i);
  });

  it('references files that exist', () => {
    expect(existsSync(join(root, 'infra/Dockerfile'))).toBe(true);
    for (const s of Object.values(compose.services)) {
      for (const volume of s.volumes ?? []) {
        const [from] = volume.split(':');
        if (from!.startsWith('./')) expect(existsSync(join(root, from!)), from).toBe(true);
      }
    }
    const dockerfile = read('infra/Dockerfile');
    expect(dockerfile).toMatch(/^USER node$/m);
    expect((dockerfile.match(/^FROM /gm) ?? []).length).toBeGreaterThanOrEqual(2);
    // Compiled in a build stage; the runtime runs node on dist/, without tsx.
    expect(dockerfile).toMatch(/^FROM \S+ AS build$/m);
    expect(dockerfile).toMatch(/^RUN pnpm build\b/m);
    expect(dockerfile).toMatch(/^ENTRYPOINT \["node"\]$/m);
    const cmd = /^CMD (\[.*\])$/m.exec(dockerfile)?.[1];
    expect(JSON.parse(cmd ?? 'null')).toEqual(['packages/cli/dist/main.js', 'start']);
    expectBuiltEntry('packages/cli/dist/main.js');
    expect(dockerfile).not.toMatch(/"tsx"|--import/);
    for (const [, path] of dockerfile.matchAll(/^COPY (\S+\/package\.json)/gm))
      expect(existsSync(join(root, path!)), path).toBe(true);
    // The package.json list is written once, in the stage both installs start from.
    const manifests = [...dockerfile.matchAll(/^COPY (\S+\/package\.json)/gm)].map((m) => m[1]);
    expect(new Set(manifests).size).toBe(manifests.length);
    expect(dockerfile).toMatch(/^FROM manifests AS build$/m);
    expect(dockerfile).toMatch(/^FROM manifests AS deps$/m);
  });

  it("ships the demo's sample pages and keeps tests and their fixtures out of the image", () => {
    const ignored = read('.dockerignore')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line && !line.startsWith('#'));
    for (const pattern of ['packages/*/test', 'services/*/test', 'test/*', '**/*.test.ts']) {
      expect(ignored).toContain(pattern);
    }
    // The deps stage copies test/package.json (the test package is in the workspace's lockfile).
    expect(ignored).toContain('!test/package.json');
    const hidesDemo = ignored.filter((p) => p === 'packages' || p.startsWith('packages/cli') || p.includes('demo'));
    expect(hidesDemo).toEqual([]);
    expect(existsSync(join(root, 'packages/cli/demo/hf-papers-date-A.html'))).toBe(true);
    expect(read('infra/Dockerfile')).toMatch(/^COPY\b.*\s(\/app\/)?packages(\/cli(\/demo)?)?\/?\s/m);
  });
});

describe('Grafana provisioning', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(async () => t?.drop());

  const datasource = z.object({
    apiVersion: z.literal(1),
    datasources: z
      .array(
        z
          .object({
            name: z.string(),
            uid: z.string(),
            type: z.literal('grafana-postgresql-datasource'),
            url: z.string(),
            jsonData: z.object({ database: z.string() }).passthrough(),
          })
          .passthrough(),
      )
      .length(1),
  });
  const provider = z.object({
    apiVersion: z.literal(1),
    providers: z
      .array(z.object({ type: z.literal('file'), options: z.object({ path: z.string() }) }).passthrough())
      .min(1),
  });
  const dashboard = z
    .object({
      uid: z.string(),
      title: z.string(),
      panels: z
        .array(
          z
            .object({
              title: z.string(),
              type: z.string(),
              datasource: z.object({ uid: z.string() }),
              targets: z.array(z.object({ rawSql: z.string().min(1) }).passthrough()).min(1),
            })
            .passthrough(),
        )
        .min(5),
    })
    .passthrough();

  it('provisions the Postgres data source and the dashboards folder', () => {
    const ds = datasource.parse(parse(read('infra/grafana/provisioning/datasources/paperboy.yaml')));
    expect(ds.datasources[0]!.url).toBe('postgres:5432');
    const p = provider.parse(parse(read('infra/grafana/provisioning/dashboards/paperboy.yaml')));
    expect(p.providers[0]!.options.path).toBe('/var/lib/grafana/dashboards');
  });

  it('builds every panel on the dashboard views, and every query runs on the real schema', async () => {
    const ds = datasource.parse(parse(read('infra/grafana/provisioning/datasources/paperboy.yaml')));
    const board = dashboard.parse(JSON.parse(read('infra/grafana/dashboards/paperboy.json')));
    for (const panel of board.panels) {
      expect(panel.datasource.uid).toBe(ds.datasources[0]!.uid);
      for (const target of panel.targets) {
        expect(target.rawSql).toMatch(/\bFROM dashboard\.\w+/);
        await expect(sql.raw(target.rawSql).execute(t.db), panel.title).resolves.toBeDefined();
      }
    }
  });
});
