// The person on another machine, for the demo: waits until a new run of SCENARIO in STORE asks STEP, then
// answers it with `drillbook answer` (signed with KEY) as NAME would, after a short pause to read. With
// STEP `--approve`, waits for the run's request for approvals and signs it with `drillbook approve`.
// Usage: answer-when-asked.mjs STORE SCENARIO STEP|--approve KEY NAME [flags…]; gives up after two minutes.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const [store, scenario, step, key, name, ...flags] = process.argv.slice(2);
if (!name) {
  console.error('usage: answer-when-asked.mjs STORE SCENARIO STEP|--approve KEY NAME [flags…]');
  process.exit(2);
}
const cli = resolve('dist/src/cli/index.js');
const folder = join(store, scenario);
const runs = () => (existsSync(folder) ? readdirSync(folder).filter((n) => n !== 'run.lock') : []);
const before = new Set(runs());
const asked = (bundle) => {
  try {
    const journal = readFileSync(join(bundle, 'journal.jsonl'), 'utf8');
    return step === '--approve' ? journal.includes('"type":"approval.requested"') : journal.includes(`"type":"manual.waiting","data":{"stepId":"${step}"`);
  } catch {
    return false;
  }
};
const until = Date.now() + 120_000;
while (Date.now() < until) {
  const bundle = runs().filter((n) => !before.has(n)).map((n) => join(folder, n)).find(asked);
  if (bundle) {
    await new Promise((r) => setTimeout(r, 1500));
    const command = step === '--approve' ? ['approve', bundle] : ['answer', bundle, step];
    const result = spawnSync(process.execPath, [cli, ...command, '--key', key, '--operator', name, ...flags], { stdio: 'inherit' });
    process.exit(result.status ?? 1);
  }
  await new Promise((r) => setTimeout(r, 200));
}
console.error(`answer-when-asked: no run of ${scenario} asked ${step} within two minutes`);
process.exit(1);
