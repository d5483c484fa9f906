// bench/verify: `drillbook verify` against `sha256sum` over the same files of one bundle with ~1 GiB of
// logs, in the same run, interleaved. Not part of `npm test`.
//   npm run build && node bench/verify.mjs [--gib 1] [--rounds 3] [--keep]
import { spawnSync } from 'node:child_process';
import { createPrivateKey, randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

const dist = resolve('dist', 'src');
if (!existsSync(join(dist, 'evidence', 'seal.js'))) {
  console.error('bench/verify: run `npm run build` first');
  process.exit(2);
}
const { createJournal } = await import(join(dist, 'evidence', 'journal.js'));
const { generateKeyPair } = await import(join(dist, 'evidence', 'keys.js'));
const { sealBundle } = await import(join(dist, 'evidence', 'seal.js'));

const { values } = parseArgs({ options: { gib: { type: 'string', default: '1' }, rounds: { type: 'string', default: '3' }, keep: { type: 'boolean', default: false } } });
const totalMiB = Math.round(Number(values.gib) * 1024);
const rounds = Number(values.rounds);
const files = 16;
const mib = 1 << 20;

const root = mkdtempSync(join(tmpdir(), 'drillbook-bench-verify-'));
const bundle = join(root, 'bundle');
mkdirSync(join(bundle, 'logs'), { recursive: true });
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const seconds = (ms) => (ms / 1000).toFixed(2);

// Logs: random blocks, each MiB stamped with its index so no two are equal.
const block = randomBytes(mib);
const steps = [];
const at = new Date('2026-11-28T10:00:00.000Z').toISOString();
for (let i = 0; i < files; i += 1) {
  const name = `logs/step-${String(i).padStart(2, '0')}.stdout.log`;
  const fd = openSync(join(bundle, name), 'w');
  for (let m = 0; m < totalMiB / files; m += 1) {
    block.writeUInt32BE(i * 1_000_000 + m, 0);
    writeSync(fd, block);
  }
  closeSync(fd);
  steps.push({ id: `step-${i}`, phase: 'steps', uses: 'local', status: 'passed', continueOnError: false, background: false, marks: [], startedAt: at, finishedAt: at, durationMs: 0, attempts: [], outputs: {} });
}
writeFileSync(join(bundle, 'scenario.yaml'), 'version: 1\n');
const journal = createJournal(join(bundle, 'journal.jsonl'));
journal.append('run.started', {}, at);
for (const s of steps) journal.append('step.finished', { stepId: s.id, status: 'passed' }, at);
journal.append('run.finished', { verdict: 'PASS', endReason: 'completed' }, at);
journal.close();

const pair = generateKeyPair();
const keyFile = join(root, 'bench.pub');
writeFileSync(keyFile, pair.publicKeyPem);
const record = {
  schemaVersion: 1, runId: 'bench', verdict: 'PASS', verdictReasons: [], endReason: 'completed',
  scenario: { id: 'bench', kind: 'drill', title: 'bench', owner: 'bench', file: 'scenario.yaml', sha256: '0'.repeat(64), controls: [] },
  startedAt: at, finishedAt: at, durationMs: 0, operator: 'bench', host: 'bench', pid: process.pid,
  tool: { name: 'drillbook', version: 'bench', node: process.version, platform: process.platform },
  vars: {}, objectives: { rto: { status: 'no-target' }, rpo: { status: 'no-target' } }, marks: {}, steps, cleanup: [], deviations: [],
  journal: { file: 'journal.jsonl', entries: journal.count, headSha256: journal.head },
};
const sealStart = performance.now();
const sealed = await sealBundle(bundle, record, { signingKey: createPrivateKey(pair.privateKeyPem) });
const sealMs = performance.now() - sealStart;
if (!sealed.sealed) throw new Error(sealed.message);
const subjects = JSON.parse(readFileSync(join(bundle, 'record.json'), 'utf8')).subject.map((s) => s.name);

// The CLI as users run it; the command module directly when the built CLI has no verify command.
const cli = resolve('dist', 'src', 'cli', 'index.js');
const wired = existsSync(cli) && /^\s+verify\b/m.test(spawnSync(process.execPath, [cli, '--help'], { encoding: 'utf8' }).stdout ?? '');
const verifyArgv = wired
  ? [process.execPath, cli, 'verify', bundle, '--key', keyFile]
  : [process.execPath, '--input-type=module', '-e', `import { verifyCommand } from ${JSON.stringify(join(dist, 'cli', 'commands', 'verify.js'))}; import { processIo } from ${JSON.stringify(join(dist, 'cli', 'io.js'))}; process.exitCode = await verifyCommand(${JSON.stringify(bundle)}, { key: [${JSON.stringify(keyFile)}] }, processIo());`];
// NODE_EXTRA_CA_CERTS costs every Node start ~0.1 s here and verify never opens a connection.
const env = { ...process.env };
delete env.NODE_EXTRA_CA_CERTS;

const time = (argv, options) => {
  const start = performance.now();
  const result = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', env, maxBuffer: 64 * mib, ...options });
  const ms = performance.now() - start;
  if (result.status !== 0) throw new Error(`${argv.slice(0, 3).join(' ')} exited ${result.status}: ${result.stderr}${result.stdout.slice(-500)}`);
  return ms;
};
const tools = {
  'drillbook verify': () => time(verifyArgv),
  sha256sum: () => time(['sha256sum', ...subjects], { cwd: bundle }),
  // Reference only: openssl uses the CPU's SHA instructions where there are some; sha256sum does not.
  'openssl dgst': () => time(['openssl', 'dgst', '-sha256', ...subjects], { cwd: bundle }),
};

time(['sha256sum', ...subjects], { cwd: bundle }); // warm the page cache once
const results = { 'drillbook verify': [], sha256sum: [], 'openssl dgst': [] };
for (let round = 0; round < rounds; round += 1) {
  const order = round % 2 === 0 ? ['drillbook verify', 'sha256sum', 'openssl dgst'] : ['openssl dgst', 'sha256sum', 'drillbook verify'];
  for (const name of order) results[name].push(tools[name]());
}

const bytes = totalMiB * mib;
console.log(`bundle: ${files} log files, ${totalMiB} MiB (+ journal, scenario, junit.xml, report.html), ${subjects.length} subjects; cache warm`);
console.log(`verify via: ${wired ? 'dist/src/cli/index.js verify' : 'node -e verifyCommand (dist/src/cli/index.js has no verify command)'}; NODE_EXTRA_CA_CERTS unset for children`);
const cpuSha = /\bsha_ni\b/.test(existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '');
console.log(`CPU SHA extensions (sha_ni): ${cpuSha ? 'yes' : 'no'}; ${rounds} rounds, order alternated`);
console.log(`sealBundle (hash + render + sign, in-process): ${seconds(sealMs)} s`);
for (const [name, times] of Object.entries(results)) {
  const m = median(times);
  console.log(`${name.padEnd(17)} median ${seconds(m)} s  (${times.map(seconds).join(' / ')} s)  ${(bytes / mib / (m / 1000)).toFixed(0)} MiB/s`);
}
console.log(`ratio drillbook verify / sha256sum: ${(median(results['drillbook verify']) / median(results.sha256sum)).toFixed(2)} (target < 1.3)`);

if (values.keep) console.log(`kept ${root}`);
else rmSync(root, { recursive: true, force: true });
