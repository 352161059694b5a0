import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { configSchema } from '@paperboy/config';
import { EVENT_TYPES, eventSchemaFile } from '@paperboy/pipeline';
import { describe, expect, it } from 'vitest';
import { commandSpecs } from '../commands/specs.js';
import { REFERENCE_FILES, references } from './references.js';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const committed = (path: string) => {
  try {
    return readFileSync(join(root, path), 'utf8');
  } catch {
    return '(missing)';
  }
};

describe('generated references (docs/reference)', () => {
  it('match the command specs and the configuration schema', async () => {
    for (const [path, content] of Object.entries(await references())) {
      expect(
        committed(path),
        `${path} is out of date with the code that defines it: run \`pnpm docs:generate\` and commit it`,
      ).toBe(content);
    }
  });

  it('cover every command, every setting (each described) and every event type (a section and a JSON Schema)', async () => {
    const generated = await references();
    for (const spec of commandSpecs) expect(generated[REFERENCE_FILES.commands]).toContain(`## ${spec.name}\n`);
    for (const [name, schema] of Object.entries(configSchema.shape)) {
      expect(schema.description, `${name} has no .describe() text in packages/config/src/index.ts`).toBeTruthy();
      expect(generated[REFERENCE_FILES.configuration]).toContain(`| \`${name}\` |`);
    }
    for (const type of EVENT_TYPES) {
      expect(generated[REFERENCE_FILES.events]).toContain(`## ${type}\n`);
      expect(JSON.parse(generated[eventSchemaFile(type)] ?? 'null')?.properties?.type?.const).toBe(type);
    }
  });
});
