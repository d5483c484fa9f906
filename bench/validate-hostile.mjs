// bench/validate-hostile: how long `validateScenario` takes on hostile inputs (deep nesting, alias bombs, many
// aliases, a file just under the size limit, many keys, the step limit, too many steps), each as a ratio to
// validating the largest sample scenario in the same run. Not part of `npm test`.
//   npm run build && node bench/validate-hostile.mjs [--rounds 3]
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

const dist = resolve('dist');
if (!existsSync(join(dist, 'src', 'scenario', 'validate.js'))) {
  console.error('bench/validate-hostile: run `npm run build` first');
  process.exit(2);
}
const { validateScenario, maxScenarioBytes } = await import(join(dist, 'src', 'scenario', 'validate.js'));
const { maxSteps } = await import(join(dist, 'src', 'scenario', 'limits.js'));
const { builtinRunners } = await import(join(dist, 'runners', 'index.js'));
const { values } = parseArgs({ options: { rounds: { type: 'string', default: '3' } } });
const rounds = Number(values.rounds);
const options = { catalog: builtinRunners, vars: {} };
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const head = 'version: 1\nkind: drill\nid: many\ntitle: t\nowner: o\nobjectives: {}\n';
const levels = ['a: &a [x, x, x, x, x, x, x, x, x]'];
for (let i = 1; i < 9; i += 1) levels.push(`${'abcdefghi'[i]}: &${'abcdefghi'[i]} [${Array(9).fill(`*${'abcdefghi'[i - 1]}`).join(', ')}]`);
const steps = (count) => `${head}vars: { port: "0" }\nsteps:\n${Array.from({ length: count }, (_, i) => `  - { id: s${i}, uses: wait, with: { duration: 1s } }`).join('\n')}\n`;
const inputs = {
  'deep [ x100k': '['.repeat(100_000),
  'deep - x100k': '- '.repeat(100_000),
  'alias bomb 9^9': levels.join('\n'),
  '9,000 aliases': `${head}vars: { a: &a x, port: "0" }\nsteps:\n  - { id: s, uses: local, run: [${Array(9_000).fill('*a').join(', ')}] }\n`,
  'just under 1 MiB': `description: "${'x'.repeat(maxScenarioBytes - 40)}"\n`,
  '20,000 unknown keys': Array.from({ length: 20_000 }, (_, i) => `k${i}: v`).join('\n'),
  [`${maxSteps} steps`]: steps(maxSteps),
  '17,520 steps (refused)': steps(17_520),
};

const samples = readdirSync('scenarios').filter((n) => n.endsWith('.yaml')).map((n) => readFileSync(join('scenarios', n), 'utf8'));
const sample = samples.sort((a, b) => b.length - a.length)[0];
const time = (text) => {
  const started = performance.now();
  validateScenario(text, 'bench.yaml', options);
  return performance.now() - started;
};
time(sample);
const base = median(Array.from({ length: rounds * 5 }, () => time(sample)));
console.log(`largest sample scenario (${sample.length} bytes): ${base.toFixed(2)} ms (median of ${rounds * 5})`);
for (const [name, text] of Object.entries(inputs)) {
  const ms = median(Array.from({ length: rounds }, () => time(text)));
  console.log(`${name.padEnd(24)} ${ms.toFixed(1).padStart(9)} ms  ${(ms / base).toFixed(1).padStart(7)}× the sample`);
}
