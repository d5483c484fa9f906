// `npm run demo`: the sample scenarios against the local lab, each producing a signed evidence bundle
// under reports/<scenario-id>/<run-id>/, verified right after. Each sample brings up the part of the lab
// it needs and takes it down again, whatever happens.
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';

const cli = join('dist', 'src', 'cli', 'index.js');
const store = process.env.DRILLBOOK_STORE ?? 'reports';
const keyDir = join(store, 'demo-keys');
const key = join(keyDir, 'demo');
const ctlScript = resolve('scenarios/lab/service-ctl.mjs');

const sh = (command, args, options = {}) => spawnSync(command, args, { stdio: 'inherit', ...options }).status ?? 1;
const capture = (command, args) => spawnSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
const drillbook = (...args) => sh(process.execPath, [cli, ...args]);

const freePort = () =>
  new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => done(String(port)));
    });
  });

/**
 * Run one sample, verify its bundle (chained to the previous one of the same scenario). `expected` is the
 * verdict the sample is built to reach (the exit sample's bucket holds three blobs in a closed format).
 */
function runSample(scenario, args, expected = 'PASS', extraKeys = []) {
  console.log(`\n== drillbook run ${scenario}`);
  const id = readFileSync(scenario, 'utf8').match(/^id: (\S+)$/m)?.[1];
  const runs = () => (existsSync(join(store, id)) ? readdirSync(join(store, id)).filter((n) => n !== 'run.lock') : []);
  const before = new Set(runs());
  // The same scenario on paper, for the day drillbook itself is down.
  // The same vars and ssh client config as the run, so its commands and host keys are the ones the run uses.
  const vars = args.flatMap((arg, i) => (arg === '--var' || arg === '--ssh-config' ? [arg, args[i + 1]] : []));
  const quiet = args.includes('--json') ? { stdio: ['inherit', 'ignore', 'inherit'] } : {};
  const book = capture(process.execPath, [cli, 'runbook', scenario, '--format', 'html', ...vars]);
  const runbook = join(store, 'runbooks', `${id}.html`);
  mkdirSync(join(store, 'runbooks'), { recursive: true });
  writeFileSync(runbook, book.stdout);
  // The record names the runbook the team had at hand.
  const atHand = book.status === 0 ? ['--runbook', runbook] : [];
  const code = sh(process.execPath, [cli, 'run', scenario, '--store', store, '--sign-key', `${key}.key`, '--operator', 'demo', ...atHand, ...args], quiet);
  const runId = runs().filter((n) => !before.has(n)).sort().at(-1);
  if (!runId) return { scenario, exit: code, verified: false, report: '(no bundle)', runbook };
  const out = join(store, id, runId);
  const previous = [...before].filter((n) => existsSync(join(store, id, n, 'record.json'))).sort().at(-1);
  console.log(`\n== drillbook verify ${out}`);
  const verified = drillbook('verify', out, '--key', `${key}.pub`, ...extraKeys.flatMap((k) => ['--key', k]), ...(previous ? ['--previous', join(store, id, previous)] : []));
  const verdict = JSON.parse(readFileSync(join(out, 'record.json'), 'utf8')).predicate?.verdict;
  return { scenario, exit: code, verdict, expected, verified: verified === 0, report: join(out, 'report.html'), runbook: book.status === 0 ? runbook : '(no runbook: drillbook runbook failed)' };
}

/** The local drill: a web service on this machine, killed and restarted. */
async function localSample() {
  const port = await freePort();
  const stateDir = join('.lab', 'demo-service');
  const ctl = (command) => sh(process.execPath, [ctlScript, command, stateDir, port]);
  console.log(`\n== lab: demo web service on 127.0.0.1:${port}`);
  try {
    if (ctl('start') !== 0) return { scenario: 'scenarios/local-service-restart.yaml', exit: 1, verified: false, report: '(lab failed)' };
    return runSample('scenarios/local-service-restart.yaml', ['--var', `port=${port}`]);
  } finally {
    ctl('stop');
  }
}

/**
 * The same drill with drillbook killed (kill -9) while it restarts the service, as when the machine running
 * it dies: `drillbook resume` stops what was left running, asks the step's check whether the service came
 * up, and goes on from there; one run, one record, the gap shown apart.
 */
async function resumeSample() {
  const scenario = 'scenarios/local-service-restart.yaml';
  const port = await freePort();
  const stateDir = join('.lab', 'demo-service');
  const ctl = (command) => sh(process.execPath, [ctlScript, command, stateDir, port]);
  const dir = join(store, 'local-service-restart');
  const runs = () => (existsSync(dir) ? readdirSync(dir).filter((n) => n !== 'run.lock') : []);
  console.log(`\n== crash and resume: drillbook is killed while it restarts the demo web service (127.0.0.1:${port})`);
  try {
    if (ctl('start') !== 0) return { scenario, exit: 1, verified: false, report: '(lab failed)', runbook: '(none)' };
    const before = new Set(runs());
    const run = spawn(process.execPath, [cli, 'run', scenario, '--store', store, '--sign-key', `${key}.key`, '--operator', 'demo', '--var', `port=${port}`, '--json'], { stdio: ['ignore', 'ignore', 'inherit'] });
    const exited = new Promise((done) => run.once('exit', done));
    let out;
    for (let i = 0; i < 1500 && run.exitCode === null; i += 1) {
      const runId = runs().find((n) => !before.has(n));
      const journal = runId ? join(dir, runId, 'journal.jsonl') : undefined;
      if (journal && existsSync(journal) && /"type":"process.started".*"stepId":"restart-service"|"stepId":"restart-service".*"type":"process.started"/.test(readFileSync(journal, 'utf8'))) {
        out = join(dir, runId);
        run.kill('SIGKILL');
        break;
      }
      await new Promise((done) => setTimeout(done, 20));
    }
    await exited;
    if (!out) return { scenario, exit: run.exitCode ?? 1, verified: false, report: '(drillbook was not killed mid-step)', runbook: '(none)' };
    console.log(`\n== kill -9 of drillbook during restart-service; drillbook resume ${out}`);
    const code = drillbook('resume', out, '--sign-key', `${key}.key`, '--operator', 'demo');
    console.log(`\n== drillbook verify ${out}`);
    const verified = drillbook('verify', out, '--key', `${key}.pub`);
    const record = JSON.parse(readFileSync(join(out, 'record.json'), 'utf8')).predicate;
    const check = record?.steps?.find((s) => s.id === 'restart-service')?.check?.outcome ?? 'not run';
    console.log(`restart-service's check: ${check}; gap with no drillbook running: ${record?.objectives?.rto?.gapMs ?? '?'} ms of the RTO`);
    const runbook = join(store, 'runbooks', 'local-service-restart.html');
    return { scenario: `${scenario} (killed, resumed)`, exit: code, verdict: record?.verdict, expected: 'PASS', verified: verified === 0, report: join(out, 'report.html'), runbook: existsSync(runbook) ? runbook : '(no runbook: run the local-service-restart sample)' };
  } finally {
    ctl('stop');
  }
}

/**
 * The failover with a person in the loop: the run waits at its manual step; the DBA answers from another
 * process (as from another machine), signed with their own key, and the record shows the RTO spent waiting.
 */
async function manualSample() {
  const scenario = 'scenarios/manual-failover.yaml';
  const port = await freePort();
  const stateDir = join('.lab', 'manual-service');
  const ctl = (command) => sh(process.execPath, [ctlScript, command, stateDir, port]);
  const dba = join(keyDir, 'dba');
  // The scenario names the manager's public key at this place (relative to it: ../reports/demo-keys/).
  const manager = join('reports', 'demo-keys', 'manager');
  for (const person of [dba, manager]) {
    mkdirSync(join(person, '..'), { recursive: true });
    if (!existsSync(`${person}.key`) && drillbook('keys', 'generate', person) !== 0) return { scenario, exit: 1, verified: false, report: '(no key)' };
  }
  console.log(`\n== lab: demo web service on 127.0.0.1:${port}; the manager approves and the DBA answers from other processes`);
  const helper = (...args) => spawn(process.execPath, ['scenarios/lab/answer-when-asked.mjs', store, 'manual-failover', ...args], { stdio: 'inherit' });
  const approver = helper('--approve', `${manager}.key`, 'duty-manager', '--comment', 'drill window agreed');
  const answerer = helper('dba-confirms', `${dba}.key`, 'dba-on-call', '--pass', '--input', 'ticket=CHG-1042', '--comment', 'row counts match, lag 0');
  try {
    if (ctl('start') !== 0) return { scenario, exit: 1, verified: false, report: '(lab failed)' };
    return runSample(scenario, ['--var', `port=${port}`, '--json'], 'PASS', [`${dba}.pub`, `${manager}.pub`]);
  } finally {
    answerer.kill();
    approver.kill();
    ctl('stop');
  }
}

/** The SSH failover: two lab hosts in their own network namespaces, reached through an ssh config. */
function sshSample() {
  const scenario = 'scenarios/ssh-failover.yaml';
  console.log('\n== lab: two SSH hosts in network namespaces');
  const up = capture('bash', ['scripts/lab/ssh-lab.sh', 'up', '--hosts', '2', '--owner', String(process.pid)]);
  const labFile = up.stdout?.trim().split('\n').at(-1);
  if (up.status !== 0 || !labFile) return { scenario, exit: 1, verified: false, report: '(lab failed)' };
  const lab = JSON.parse(readFileSync(labFile, 'utf8'));
  try {
    mkdirSync(join('.lab', 'ssh'), { recursive: true });
    copyFileSync(lab.knownHosts, join('.lab', 'ssh', 'known_hosts'));
    copyFileSync(lab.sshConfig, join('.lab', 'ssh', 'config'));
    const port = '18081';
    const [primary, replica] = lab.hosts;
    if (sh('ssh', ['-F', lab.sshConfig, primary.name, 'node', ctlScript, 'start', 'svc-primary', port, '0.0.0.0']) !== 0) {
      return { scenario, exit: 1, verified: false, report: '(lab failed)' };
    }
    return runSample(scenario, [
      '--ssh-config', join('.lab', 'ssh', 'config'),
      '--var', `ctl=${ctlScript}`,
      '--var', `port=${port}`,
      '--var', `primaryUrl=http://${primary.address}:${port}`,
      '--var', `replicaUrl=http://${replica.address}:${port}`,
    ]);
  } finally {
    sh('bash', ['scripts/lab/ssh-lab.sh', 'down', lab.dir]);
  }
}

/** Labs started by a sample (`up` returns their facts file and facts), taken down in reverse order by `down`. */
function labSet() {
  const labs = [];
  const up = (script, args) => {
    const started = capture('bash', [script, 'up', '--owner', String(process.pid), ...args]);
    const file = started.stdout?.trim().split('\n').at(-1);
    if (started.status !== 0 || !file) return undefined;
    const lab = JSON.parse(readFileSync(file, 'utf8'));
    labs.push([script, lab.dir]);
    return { file, lab };
  };
  const down = () => {
    for (const [script, dir] of labs.reverse()) sh('bash', [script, 'down', dir]);
  };
  return { up, down };
}

/**
 * The restore test: PostgreSQL and Ceph radosgw (S3, on a free port given to the scenario) on 127.0.0.1, the
 * shop's backup job run once, then the drill restores the newest dump. Credentials reach drillbook as the
 * environment variables the scenario's secrets name.
 */
async function restoreSample() {
  const scenario = 'scenarios/pg-restore.yaml';
  const failed = { scenario, exit: 1, verified: false, report: '(lab failed)' };
  const { up, down } = labSet();
  console.log('\n== lab: PostgreSQL and Ceph radosgw (S3 on a free port of 127.0.0.1)');
  try {
    const pg = up('scripts/lab/postgres.sh', []);
    const s3 = pg && up('scripts/lab/radosgw.sh', []);
    if (!pg || !s3) return failed;
    console.log('\n== lab: the nightly backup job (pg_dump -Fc into the immutable bucket)');
    if (sh(process.execPath, ['scenarios/lab/pg-backup-job.mjs', pg.file, s3.file, 'shop-backups']) !== 0) return failed;
    Object.assign(process.env, {
      DRILLBOOK_PG_PASSWORD: pg.lab.password,
      DRILLBOOK_S3_ACCESS_KEY_ID: s3.lab.accessKeyId,
      DRILLBOOK_S3_SECRET_ACCESS_KEY: s3.lab.secretAccessKey,
    });
    return runSample(scenario, ['--var', `pgPort=${pg.lab.port}`, '--var', `s3Endpoint=${s3.lab.endpoint}`, '--var', `appPort=${await freePort()}`]);
  } finally {
    for (const name of ['DRILLBOOK_PG_PASSWORD', 'DRILLBOOK_S3_ACCESS_KEY_ID', 'DRILLBOOK_S3_SECRET_ACCESS_KEY']) delete process.env[name];
    down();
  }
}

/** The failover drill: a PostgreSQL primary and its streaming replica; the canary measures the data lost. */
function failoverSample() {
  const scenario = 'scenarios/pg-failover.yaml';
  const failed = { scenario, exit: 1, verified: false, report: '(lab failed)' };
  const { up, down } = labSet();
  console.log('\n== lab: a PostgreSQL primary and its streaming replica on 127.0.0.1');
  try {
    const primary = up('scripts/lab/postgres.sh', []);
    const replica = primary && up('scripts/lab/postgres.sh', ['--replica-of', primary.file]);
    if (!primary || !replica) return failed;
    process.env.DRILLBOOK_PG_PASSWORD = primary.lab.password;
    return runSample(scenario, [
      '--var', `primaryPort=${primary.lab.port}`,
      '--var', `replicaPort=${replica.lab.port}`,
      '--var', `primaryLab=${primary.lab.dir}`,
    ]);
  } finally {
    delete process.env.DRILLBOOK_PG_PASSWORD;
    down();
  }
}

/**
 * The exit rehearsal: a customer bucket of a few thousand objects (awkward keys included) in radosgw, the
 * shop database in PostgreSQL reached over SSH (the lab's loopback sshd), a neutral bucket to re-import
 * into. The export, the dump and the re-import are the scenario's; the lab only provides the data.
 */
function exitSample() {
  const scenario = 'scenarios/exit-readiness.yaml';
  const failed = { scenario, exit: 1, verified: false, report: '(lab failed)' };
  const { up, down } = labSet();
  console.log('\n== lab: PostgreSQL, Ceph radosgw (S3 on a free port) and an SSH host on 127.0.0.1');
  try {
    const pg = up('scripts/lab/postgres.sh', []);
    const s3 = pg && up('scripts/lab/radosgw.sh', []);
    const ssh = s3 && up('scripts/lab/ssh-lab.sh', ['--hosts', '0']);
    if (!pg || !s3 || !ssh) return failed;
    mkdirSync(join('.lab', 'ssh'), { recursive: true });
    copyFileSync(ssh.lab.knownHosts, join('.lab', 'ssh', 'known_hosts'));
    copyFileSync(ssh.lab.sshConfig, join('.lab', 'ssh', 'config'));
    Object.assign(process.env, {
      DRILLBOOK_PG_PASSWORD: pg.lab.password,
      DRILLBOOK_S3_ACCESS_KEY_ID: s3.lab.accessKeyId,
      DRILLBOOK_S3_SECRET_ACCESS_KEY: s3.lab.secretAccessKey,
    });
    console.log('\n== lab: the shop database, the customer bucket and an empty neutral bucket');
    if (sh(process.execPath, ['scenarios/lab/pg-backup-job.mjs', pg.file, s3.file, 'shop-backups']) !== 0) return failed;
    if (sh(process.execPath, ['scenarios/lab/exit-seed.mjs', s3.lab.endpoint, 'shop-data', '--empty', 'exit-reimport']) !== 0) return failed;
    return runSample(scenario, ['--ssh-config', join('.lab', 'ssh', 'config'), '--var', `pgPort=${pg.lab.port}`, '--var', `s3Endpoint=${s3.lab.endpoint}`], 'PARTIAL');
  } finally {
    for (const name of ['DRILLBOOK_PG_PASSWORD', 'DRILLBOOK_S3_ACCESS_KEY_ID', 'DRILLBOOK_S3_SECRET_ACCESS_KEY']) delete process.env[name];
    down();
  }
}

if (sh('bash', ['scripts/lab/install-packages.sh']) !== 0) process.exit(1);
mkdirSync(keyDir, { recursive: true });
if (!existsSync(`${key}.key`)) {
  console.log(`\n== throwaway signing key for the demo: ${key}.key / ${key}.pub`);
  if (drillbook('keys', 'generate', key) !== 0) process.exit(1);
}

// `npm run demo -- exit pg-restore`: only the samples whose scenario id is named.
const samples = { 'local-service-restart': localSample, 'resume': resumeSample, 'manual-failover': manualSample, 'ssh-failover': sshSample, 'pg-restore': restoreSample, 'pg-failover': failoverSample, 'exit-readiness': exitSample };
const chosen = process.argv.slice(2);
const unknown = chosen.filter((name) => !Object.keys(samples).some((id) => id.startsWith(name)));
if (unknown.length) {
  console.error(`demo: no sample ${unknown.join(', ')}; samples: ${Object.keys(samples).join(', ')}`);
  process.exit(2);
}
const results = [];
for (const [id, sample] of Object.entries(samples)) {
  if (chosen.length === 0 || chosen.some((name) => id.startsWith(name))) results.push(await sample());
}

console.log('\n== demo summary');
const asExpected = (r) => r.verified && r.verdict === (r.expected ?? 'PASS') && !r.runbook.startsWith('(');
for (const r of results) {
  const verdict = r.verdict ? `${r.verdict}${r.verdict === r.expected ? '' : ` (expected ${r.expected})`}` : `exit ${r.exit}`;
  console.log(`${r.scenario}: ${verdict}, signature ${r.verified ? 'verified' : 'NOT verified'}, report ${r.report}, runbook ${r.runbook ?? '(none)'}`);
}
process.exit(results.every(asExpected) ? 0 : 1);
