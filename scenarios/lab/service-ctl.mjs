// Start, kill, check and ensure the demo service.
// Usage: service-ctl.mjs start|ensure STATE_DIR PORT [BIND], kill|stop|status STATE_DIR PORT,
// or replaced STATE_DIR PORT OLD_PID
import { spawn } from 'node:child_process';
import { mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const [command, stateDir, portText] = process.argv.slice(2);
if (!command || !stateDir || !portText) {
  console.error('usage: service-ctl.mjs start|kill|stop|status|ensure STATE_DIR PORT');
  process.exit(2);
}
const port = Number(portText);
const pidFile = join(stateDir, 'service.pid');

const readPid = () => {
  try {
    return Number(readFileSync(pidFile, 'utf8'));
  } catch {
    return undefined;
  }
};
// A killed orphan stays a zombie until init reaps it: zombies do not count as alive.
const alive = (pid) => {
  if (!pid) return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat[stat.lastIndexOf(')') + 2] !== 'Z';
  } catch {
    return false;
  }
};
const listening = () =>
  new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function start() {
  mkdirSync(stateDir, { recursive: true });
  const log = openSync(join(stateDir, 'service.log'), 'a');
  const bind = process.argv[5] ?? '127.0.0.1';
  const child = spawn(process.execPath, [join(dirname(fileURLToPath(import.meta.url)), 'service.mjs'), String(port), bind], {
    detached: true,
    stdio: ['ignore', log, log],
  });
  writeFileSync(pidFile, String(child.pid));
  child.unref();
  for (let i = 0; i < 100; i++) {
    if (await listening()) {
      console.log(`service started: pid ${child.pid} on 127.0.0.1:${port}`);
      return 0;
    }
    await sleep(50);
  }
  console.error('service did not start listening within 5s');
  return 1;
}

async function stop(signal) {
  const pid = readPid();
  if (!alive(pid)) {
    console.log('service is not running');
    return 0;
  }
  process.kill(pid, signal);
  for (let i = 0; i < 100 && alive(pid); i++) await sleep(50);
  if (alive(pid)) {
    console.error(`service pid ${pid} still alive after ${signal}`);
    return 1;
  }
  rmSync(pidFile, { force: true });
  console.log(`service pid ${pid} stopped with ${signal}`);
  return 0;
}

async function status() {
  const pid = readPid();
  const up = alive(pid) && (await listening());
  console.log(up ? `service up: pid ${pid}` : 'service down');
  return up ? 0 : 3;
}

async function replaced() {
  const old = Number(process.argv[5]);
  const pid = readPid();
  if ((await status()) !== 0) return 3;
  if (pid === old) {
    console.error(`still the old process ${old}`);
    return 1;
  }
  console.log(`replaced: ${old} -> ${pid}`);
  return 0;
}

const commands = {
  replaced,
  start,
  kill: () => stop('SIGKILL'),
  stop: () => stop('SIGTERM'),
  status,
  ensure: async () => ((await status()) === 0 ? 0 : start()),
};
const run = commands[command];
if (!run) {
  console.error(`unknown command ${command}`);
  process.exit(2);
}
process.exit(await run());
