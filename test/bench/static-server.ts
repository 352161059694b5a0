/**
 * A static file server in its own process, so that serving pages costs the measured process
 * neither CPU nor memory. Serves `<dir>/<name>` at `/<anything>/<name>`; prints its port.
 */
import { createReadStream, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, join } from 'node:path';

const dir = process.argv[2]!;
const server = createServer((req, res) => {
  const file = join(dir, basename((req.url ?? '/').split('?')[0]!));
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    return void res.writeHead(404).end();
  }
  const type = file.endsWith('.json') ? 'application/json' : 'text/html; charset=utf-8';
  // An ETag from the file's identity, so conditional GETs get a 304 as from a real site.
  const etag = `"${size.toString(16)}-${Math.floor(statSync(file).mtimeMs).toString(16)}"`;
  if (req.headers['if-none-match'] === etag) return void res.writeHead(304, { etag }).end();
  res.writeHead(200, { 'content-type': type, 'content-length': size, etag });
  createReadStream(file).pipe(res);
});
// Idle keep-alive sockets stay open between the bench's phases: with Node's 5 s default the server
// could close one just as the next phase reused it (ECONNRESET in the ceiling, which does not retry).
server.keepAliveTimeout = 300_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(`${(server.address() as AddressInfo).port}\n`));
process.on('SIGTERM', () => process.exit(0));
