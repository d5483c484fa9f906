// `npm run demo`: the sample scenarios against the local lab, each producing a signed evidence bundle
// under reports/<scenario-id>/<run-id>/, verified right after.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

const cli = join('dist', 'src', 'cli', 'index.js');
const store = process.env.DRILLBOOK_STORE ?? 'reports';
const keyDir = join(store, 'demo-keys');
const key = join(keyDir, 'demo');
const stateDir = join('.lab', 'demo-service');

const sh = (command, args, options = {}) => {
  const result = spawnSync(command, args, { stdio: 'inherit', ...options });
  return result.status ?? 1;
};
const drillbook = (...args) => sh(process.execPath, [cli, ...args]);

const freePort = () =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });

if (sh('bash', ['scripts/lab/install-packages.sh']) !== 0) process.exit(1);
mkdirSync(keyDir, { recursive: true });
if (!existsSync(`${key}.key`)) {
  console.log(`\n== throwaway signing key for the demo: ${key}.key / ${key}.pub`);
  if (drillbook('keys', 'generate', key) !== 0) process.exit(1);
}

const port = String(await freePort());
const ctl = (command) => sh(process.execPath, ['scenarios/lab/service-ctl.mjs', command, stateDir, port]);
const results = [];
try {
  console.log(`\n== lab: demo web service on 127.0.0.1:${port}`);
  if (ctl('start') !== 0) process.exit(1);
  for (const scenario of ['scenarios/local-service-restart.yaml']) {
    console.log(`\n== drillbook run ${scenario}`);
    const id = readFileSync(scenario, 'utf8').match(/^id: (\S+)$/m)?.[1];
    const before = new Set(existsSync(join(store, id)) ? readdirSync(join(store, id)) : []);
    const code = drillbook('run', scenario, '--store', store, '--var', `port=${port}`, '--sign-key', `${key}.key`, '--operator', 'demo');
    const runId = readdirSync(join(store, id)).filter((name) => !before.has(name) && name !== 'run.lock').sort().at(-1);
    const out = join(store, id, runId);
    console.log(`\n== drillbook verify ${out}`);
    const previous = [...before].filter((name) => name !== 'run.lock' && existsSync(join(store, id, name, 'record.json'))).sort().at(-1);
    const verified = drillbook('verify', out, '--key', `${key}.pub`, ...(previous ? ['--previous', join(store, id, previous)] : []));
    results.push({ scenario, exit: code, verified: verified === 0, report: join(out, 'report.html') });
  }
} finally {
  ctl('stop');
}

console.log('\n== demo summary');
for (const r of results) console.log(`${r.scenario}: exit ${r.exit}, signature ${r.verified ? 'verified' : 'NOT verified'}, report ${r.report}`);
process.exit(results.every((r) => r.exit === 0 && r.verified) ? 0 : 1);
