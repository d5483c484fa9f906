// 1,000 trivial local steps through drillbook (validation, engine, journal, logs, sealing) against a bare
// execa loop of the same commands, in the same run; a bare child_process.spawn loop and a shell loop for
// reference. Usage: npm run build && node bench/step-overhead.mjs [steps] [rounds]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { performance } from 'node:perf_hooks';
import { join } from 'node:path';
import { execa } from 'execa';
import { builtinRunners } from '../dist/runners/index.js';
import { executeRun } from '../dist/src/engine/run.js';
import { prepareInputs } from '../dist/src/engine/run-inputs.js';
import { loadScenario } from '../dist/src/scenario/validate.js';

const steps = Number(process.argv[2] ?? 1000);
const rounds = Number(process.argv[3] ?? 3);
const command = '/bin/true';
const work = mkdtempSync(join(tmpdir(), 'drillbook-bench-'));

const yaml = [
  'version: 1',
  'kind: drill',
  'id: step-overhead',
  'title: step overhead',
  'owner: bench',
  'objectives: {}',
  'steps:',
  ...Array.from({ length: steps }, (_, i) => `  - { id: s${i}, uses: local, run: [${command}] }`),
  '',
].join('\n');
const file = join(work, 'bench.yaml');
writeFileSync(file, yaml);

async function drillbook(round) {
  const loaded = await loadScenario(file, { catalog: builtinRunners });
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.issues));
  const running = executeRun(loaded.scenario, prepareInputs(loaded.scenario, { sshConfigFile: false }), {
    mode: 'fresh',
    storeDir: join(work, `store-${round}`),
    runners: builtinRunners,
    operator: 'bench',
    toolVersion: 'bench',
  });
  const result = await running.done;
  if (result.record.verdict !== 'PASS') throw new Error(`verdict ${result.record.verdict}`);
}
async function execaLoop() {
  for (let i = 0; i < steps; i++) await execa(command, [], { buffer: false, stdio: ['ignore', 'pipe', 'pipe'] });
}
async function spawnLoop() {
  for (let i = 0; i < steps; i++) {
    await new Promise((resolve, reject) => {
      const child = spawn(command, [], { stdio: 'ignore' });
      child.on('error', reject);
      child.on('exit', resolve);
    });
  }
}
async function shellLoop() {
  await execa('sh', ['-c', `i=0; while [ $i -lt ${steps} ]; do ${command}; i=$((i+1)); done`]);
}

const contenders = { drillbook, 'bare execa': execaLoop, 'bare spawn': spawnLoop, 'shell loop': shellLoop };
const times = Object.fromEntries(Object.keys(contenders).map((k) => [k, []]));
for (let round = 0; round < rounds; round++) {
  for (const [name, fn] of Object.entries(contenders)) {
    const start = performance.now();
    await fn(round);
    times[name].push(performance.now() - start);
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const base = median(times['bare execa']);
console.log(`${steps} steps of ${command}, median of ${rounds} interleaved rounds`);
for (const [name, xs] of Object.entries(times)) {
  const m = median(xs);
  console.log(`${name.padEnd(12)} ${(m / 1000).toFixed(2).padStart(7)} s  ${(m / steps).toFixed(2).padStart(6)} ms/step  ${(m / base).toFixed(2)}x bare execa`);
}
console.log(`target: drillbook < 1.3x bare execa -> ${(median(times.drillbook) / base).toFixed(2)}x`);
rmSync(work, { recursive: true, force: true });
