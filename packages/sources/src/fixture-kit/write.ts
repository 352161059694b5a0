import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Generated fixture files by name, written beside the generating script. */
export type FixtureFiles = Record<string, string>;

/** Write the files into the folder of `scriptUrl` when that script is the one being run. */
export function writeWhenRunDirectly(scriptUrl: string, build: () => FixtureFiles): void {
  if (process.argv[1] !== fileURLToPath(scriptUrl)) return;
  for (const [name, content] of Object.entries(build())) {
    writeFileSync(new URL(name, scriptUrl), content);
    console.log(`wrote ${name} (${content.length} bytes)`);
  }
}
