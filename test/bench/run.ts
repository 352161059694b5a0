/** `pnpm bench`: runs every benchmark and prints one JSON line per benchmark. */
import { benchIngest } from './ingest.bench.js';

const benches: Record<string, () => Promise<Record<string, number>>> = { ingest: benchIngest };
const only = process.argv[2];

for (const [name, run] of Object.entries(benches)) {
  if (only && only !== name) continue;
  const result = await run();
  process.stdout.write(`${JSON.stringify({ bench: name, ...result })}\n`);
}
setTimeout(() => process.exit(0), 100).unref();
