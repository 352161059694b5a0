import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Generated fixture files by name, written beside the generating script unless told otherwise. */
export type FixtureFiles = Record<string, string>;

/**
 * Write the files into `outDir` (default: the folder of `scriptUrl`) when that script is the one
 * being run.
 */
export function writeWhenRunDirectly(
  scriptUrl: string,
  build: () => FixtureFiles,
  outDir: string | URL = scriptUrl,
): void {
  if (process.argv[1] !== fileURLToPath(scriptUrl)) return;
  for (const [name, content] of Object.entries(build())) {
    writeFileSync(new URL(name, outDir), content);
    console.log(`wrote ${name} (${content.length} bytes)`);
  }
}
