// Prints the first port from argv[2] upwards (20 tries) that nothing on 127.0.0.1 listens on, or exits 1 saying so.
import { createServer } from 'node:net';

const first = Number(process.argv[2] ?? 4173);
const isFree = (port) =>
  new Promise((resolve) => {
    const server = createServer()
      .once('error', () => resolve(false))
      .listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });

for (let port = first; port < first + 20; port++) {
  if (await isFree(port)) {
    if (port !== first) console.error(`free-port: ${first} is taken, using ${port}`);
    console.log(port);
    process.exit(0);
  }
}
console.error(`free-port: ports ${first}–${first + 19} on 127.0.0.1 are all taken; set TWN_DEMO_PORT to a free one`);
process.exit(1);
