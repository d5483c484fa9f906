// bench/ssh-fanout: one command (`true`) on N hosts (aliases of the lab's loopback sshd), drillbook's ssh
// runner against parallel-ssh and `ansible all -m raw`, in the same run, interleaved, all at concurrency N,
// with OpenSSH's default key exchange and with curve25519. Every tool is timed as a whole process
// (start-up included). ssh2 has no post-quantum KEX: drillbook negotiates curve25519 in both rows.
// Not part of `npm test`. Needs root (the lab) and the peers (bench/install-peers.sh):
//   npm run build && bench/install-peers.sh && node bench/ssh-fanout.mjs [--sizes 10,50,100] [--rounds 3]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { AbortController } = globalThis;

const self = fileURLToPath(import.meta.url);
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { sizes: { type: 'string', default: '10,50,100' }, rounds: { type: 'string', default: '3' }, child: { type: 'boolean', default: false } },
});

/** Child mode: one fan-out through the ssh runner, as `drillbook` would do it; prints its in-process time. */
async function child([config, home, count]) {
  const { createSshRunner } = await import(resolve('dist/runners/ssh/run.js'));
  const { pino } = await import('pino');
  const { Writable } = await import('node:stream');
  const startedAt = performance.now();
  const runner = createSshRunner({ sshConfigFile: config, env: { HOME: home, USER: 'bench' } });
  const hosts = Array.from({ length: Number(count) }, (_, i) => `lab-${i + 1}`);
  const sink = new Writable({ write: (_chunk, _encoding, callback) => callback() });
  const observation = await runner.run({
    stepId: 'fanout',
    attempt: 1,
    argv: ['true'],
    options: {},
    target: { name: 'lab', kind: 'ssh', options: { hosts, concurrency: hosts.length } },
    baseDir: home,
    signal: new AbortController().signal,
    sink: { stdout: sink, stderr: sink },
    captureLimitBytes: 64 * 1024,
    clock: { now: () => performance.now(), sleep: (ms) => new Promise((r) => setTimeout(r, ms)) },
    judge: (o) => ({ ok: !o.error && o.exitCode === 0 }),
    onProcess: () => {},
    log: pino({ level: 'silent' }),
  });
  await runner.close();
  if (observation.error || observation.details.passed !== hosts.length) {
    console.error(JSON.stringify(observation.error ?? observation.details));
    process.exit(1);
  }
  console.log(JSON.stringify({ inProcessMs: performance.now() - startedAt }));
}

if (values.child) {
  await child(positionals);
  process.exit(0);
}

for (const [what, path] of [
  ['npm run build', 'dist/runners/ssh/run.js'],
  ['bench/install-peers.sh', '/usr/bin/parallel-ssh'],
  ['bench/install-peers.sh', '/usr/bin/ansible'],
]) {
  if (!existsSync(path)) {
    console.error(`bench/ssh-fanout: run \`${what}\` first (${path} is missing)`);
    process.exit(2);
  }
}

const sizes = values.sizes.split(',').map(Number);
const rounds = Number(values.rounds);
const lab = JSON.parse(readFileSync(spawnSync('scripts/lab/ssh-lab.sh', ['up', '--hosts', '0'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).stdout.trim(), 'utf8'));
const work = mkdtempSync(join(tmpdir(), 'drillbook-fanout-'));
const home = join(work, 'home');
mkdirSync(home);
const kexes = { 'OpenSSH default KEX': undefined, curve25519: 'curve25519-sha256' };

function timed(command, args, env = {}) {
  const startedAt = performance.now();
  const result = spawnSync(command, args, { encoding: 'utf8', env: { ...process.env, HOME: home, ...env }, maxBuffer: 64 * 1024 * 1024 });
  const ms = performance.now() - startedAt;
  if (result.status !== 0) throw new Error(`${command} failed (${result.status}): ${result.stderr.slice(0, 2000)}${result.stdout.slice(0, 2000)}`);
  return { ms, stdout: result.stdout };
}

const tools = {
  drillbook: (n) => timed(process.execPath, [self, '--child', lab.sshConfig, home, String(n)]),
  'parallel-ssh': (n, kex) => {
    const hosts = join(work, `hosts-${n}`);
    writeFileSync(hosts, Array.from({ length: n }, (_, i) => `lab-${i + 1}`).join('\n') + '\n');
    return timed('parallel-ssh', ['-h', hosts, '-p', String(n), '-t', '60', '-x', `-F ${lab.sshConfig}${kex ? ` -o KexAlgorithms=${kex}` : ''}`, 'true']);
  },
  ansible: (n, kex) => {
    const inventory = join(work, `inventory-${n}`);
    writeFileSync(inventory, '[lab]\n' + Array.from({ length: n }, (_, i) => `lab-${i + 1}`).join('\n') + '\n');
    return timed('ansible', ['all', '-i', inventory, '-m', 'raw', '-a', 'true', '-f', String(n)], {
      // Fresh connections like the others (no ControlPersist), the lab's aliases and known_hosts.
      ANSIBLE_SSH_ARGS: `-F ${lab.sshConfig}${kex ? ` -o KexAlgorithms=${kex}` : ''}`,
      ANSIBLE_LOCAL_TEMP: join(work, 'ansible-tmp'),
      ANSIBLE_HOST_KEY_CHECKING: 'True',
      ANSIBLE_PYTHON_INTERPRETER: 'auto_silent',
    });
  },
};

// An interrupted bench still removes its lab.
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    spawnSync('scripts/lab/ssh-lab.sh', ['down', lab.dir], { stdio: 'inherit' });
    rmSync(work, { recursive: true, force: true });
    process.exit(130);
  });
}

const median = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)];
const seconds = (ms) => (ms / 1000).toFixed(2);
const rows = [];
try {
  console.log(`bench/ssh-fanout: ${rounds} interleaved rounds, medians; each tool timed as a whole process, concurrency = N`);
  for (const n of sizes) {
    for (const [kexName, kex] of Object.entries(kexes)) {
      const times = Object.fromEntries(Object.keys(tools).map((name) => [name, []]));
      const inProcess = [];
      for (let round = 0; round < rounds; round++) {
        for (const [name, run] of Object.entries(tools)) {
          const { ms, stdout } = run(n, kex);
          times[name].push(ms);
          if (name === 'drillbook') inProcess.push(JSON.parse(stdout.trim().split('\n').at(-1)).inProcessMs);
        }
      }
      const row = { n, kex: kexName, ...Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)])), inProcess: median(inProcess) };
      rows.push(row);
      console.log(
        `N=${String(n).padStart(3)}  ${kexName.padEnd(19)}  drillbook ${seconds(row.drillbook)} s (in-process ${seconds(row.inProcess)} s)` +
          `  parallel-ssh ${seconds(row['parallel-ssh'])} s  ansible ${seconds(row.ansible)} s` +
          `  | parallel-ssh/drillbook ${(row['parallel-ssh'] / row.drillbook).toFixed(2)}x  ansible/drillbook ${(row.ansible / row.drillbook).toFixed(2)}x`,
      );
    }
  }
} finally {
  spawnSync('scripts/lab/ssh-lab.sh', ['down', lab.dir], { stdio: 'inherit' });
  rmSync(work, { recursive: true, force: true });
}
