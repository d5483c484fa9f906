// The shop's read-only service, started on the restored database to prove it serves: GET /health answers
// 200 with the order and customer counts read from the database, 503 when the query fails.
// Usage: shop-app.mjs start STATE_DIR PORT DATABASE | stop STATE_DIR   (connection from PG* variables)
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';

const [command, stateDir, port, database] = process.argv.slice(2);
const pidFile = stateDir ? join(stateDir, 'shop-app.pid') : '';
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const alive = (pid) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat[stat.lastIndexOf(')') + 2] !== 'Z';
  } catch {
    return false;
  }
};

function serve() {
  createServer((request, response) => {
    if (request.url !== '/health') {
      response.writeHead(404).end();
      return;
    }
    const sql = 'SELECT json_build_object(\'orders\', (SELECT count(*) FROM orders), \'customers\', (SELECT count(*) FROM customers))';
    const result = spawnSync(process.env.PSQL ?? 'psql', ['-X', '-At', '-d', database, '-c', sql], { encoding: 'utf8', timeout: 5_000 });
    if (result.status !== 0) {
      response.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'down', error: result.stderr.trim() }));
      return;
    }
    const counts = JSON.parse(result.stdout);
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'ok', database, ...counts }));
  }).listen(Number(port), '127.0.0.1');
}

async function start() {
  mkdirSync(stateDir, { recursive: true });
  const log = openSync(join(stateDir, 'shop-app.log'), 'a');
  const child = spawn(process.execPath, [process.argv[1], 'serve', stateDir, port, database], { detached: true, stdio: ['ignore', log, log] });
  writeFileSync(pidFile, String(child.pid));
  child.unref();
  for (let i = 0; i < 100; i++) {
    const up = await new Promise((resolve) => {
      const socket = connect(Number(port), '127.0.0.1', () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (up) {
      console.log(`shop app started: pid ${child.pid} on 127.0.0.1:${port}, database ${database}`);
      return 0;
    }
    await sleep(50);
  }
  console.error('shop app did not start listening');
  return 1;
}

async function stop() {
  let pid;
  try {
    pid = Number(readFileSync(pidFile, 'utf8'));
  } catch {
    console.log('shop app not running');
    return 0;
  }
  if (alive(pid)) process.kill(pid, 'SIGTERM');
  for (let i = 0; i < 100 && alive(pid); i++) await sleep(50);
  rmSync(pidFile, { force: true });
  console.log(`shop app stopped (pid ${pid})`);
  return 0;
}

if (command === 'serve') serve();
else if (command === 'start' && stateDir && port && database) process.exit(await start());
else if (command === 'stop' && stateDir) process.exit(await stop());
else {
  console.error('usage: shop-app.mjs start STATE_DIR PORT DATABASE | stop STATE_DIR');
  process.exit(2);
}
