// A small web service for the local drill: answers /health with its pid and start time.
import { createServer } from 'node:http';

const port = Number(process.argv[2]);
// 127.0.0.1 unless told otherwise: a lab host in a network namespace serves on its own bridge address.
const bind = process.argv[3] ?? '127.0.0.1';
const startedAt = new Date().toISOString();
const server = createServer((req, res) => {
  if (req.url === '/health') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ status: 'ok', pid: process.pid, startedAt }));
    return;
  }
  res.writeHead(404).end();
});
server.listen(port, bind);
process.on('SIGTERM', () => server.close(() => process.exit(0)));
