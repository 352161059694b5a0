import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { references } from './references.js';

/** `pnpm docs:generate`: writes docs/reference/*.md from the command specs and the configuration schema. */
const root = fileURLToPath(new URL('../../../../', import.meta.url));
for (const [path, content] of Object.entries(await references())) {
  await mkdir(dirname(join(root, path)), { recursive: true });
  await writeFile(join(root, path), content);
  process.stdout.write(`wrote ${path}\n`);
}
