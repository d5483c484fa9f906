// bench/export: `s3.export` (copy every object under a prefix to a local folder, SHA-256 in the same pass,
// list again and reconcile, read the copies back) against `rclone copy` followed by `rclone check` on the
// same objects of a throwaway radosgw, in the same run, interleaved; then peak RSS of both for a multi-GiB
// export. Not part of `npm test`.
//   bash bench/install-peers.sh && npm run build
//   node bench/export.mjs [--objects 1000] [--size-mib 1] [--rounds 3] [--big-gib 2] [--big-object-mib 512] [--only drillbook|rclone] [--keep]
// Root on Debian (it starts Ceph; objects live in the lab's RAM, copies go under the system temp folder).
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    objects: { type: 'string', default: '1000' },
    'size-mib': { type: 'string', default: '1' },
    rounds: { type: 'string', default: '3' },
    'big-gib': { type: 'string', default: '2' },
    'big-object-mib': { type: 'string', default: '512' },
    only: { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});
const objects = Number(values.objects);
const sizeMiB = Number(values['size-mib']);
const rounds = Number(values.rounds);
const bigGiB = Number(values['big-gib']);
const bigObjectMiB = Number(values['big-object-mib']);
const only = values.only;
if (only !== undefined && only !== 'rclone' && only !== 'drillbook') throw new Error(`--only: expected rclone or drillbook, got ${only}`);
const withDrillbook = only !== 'rclone';
const withRclone = only !== 'drillbook';

const mib = 1 << 20;
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const cli = resolve('dist', 'src', 'cli', 'index.js');
if (withDrillbook && !existsSync(cli)) {
  console.error('bench/export: run `npm run build` first');
  process.exit(2);
}
if (withRclone && spawnSync('rclone', ['version'], { encoding: 'utf8' }).status !== 0) {
  console.error('bench/export: rclone is missing (bash bench/install-peers.sh)');
  process.exit(2);
}
if (!existsSync('/usr/bin/time')) {
  console.error('bench/export: /usr/bin/time is missing (apt-get install time): it measures peak RSS');
  process.exit(2);
}

const withBig = bigGiB > 0;
const bigCount = withBig ? Math.max(1, Math.round((bigGiB * 1024) / bigObjectMiB)) : 0;
const smallBytes = objects * sizeMiB * mib;
const bigBytes = bigCount * bigObjectMiB * mib;
const bucket = 'bench';
const work = mkdtempSync(join(tmpdir(), 'drillbook-bench-export-'));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const s = (ms) => (ms / 1000).toFixed(2);
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');

console.log(`load average at start: ${load()} (${cpus().length} CPUs, ${cpus()[0]?.model ?? '?'})`);

// The lab: memstore keeps every object in RAM, so it must hold both data sets and some room.
const memstoreBytes = smallBytes + bigBytes + 2 * 1024 * mib;
console.log(`== lab: radosgw, memstore ${Math.round(memstoreBytes / mib)} MiB`);
const up = spawnSync('bash', ['scripts/lab/radosgw.sh', 'up', '--owner', String(process.pid), '--memstore-bytes', String(memstoreBytes)], {
  encoding: 'utf8',
  stdio: ['ignore', 'pipe', 'inherit'],
});
const labFile = up.stdout.trim().split('\n').at(-1);
if (up.status !== 0 || !labFile) {
  rmSync(work, { recursive: true, force: true });
  throw new Error('the S3 lab did not start');
}
const lab = JSON.parse(readFileSync(labFile, 'utf8'));

// Children: NODE_EXTRA_CA_CERTS costs every Node start ~0.1 s here and AWS_CA_BUNDLE breaks rclone 1.60
// against a plain-http endpoint; the lab is plain http, so neither is of use to either tool.
const env = { ...process.env };
delete env.NODE_EXTRA_CA_CERTS;
delete env.AWS_CA_BUNDLE;
Object.assign(env, {
  DRILLBOOK_S3_ACCESS_KEY_ID: lab.accessKeyId,
  DRILLBOOK_S3_SECRET_ACCESS_KEY: lab.secretAccessKey,
  RCLONE_CONFIG_LAB_TYPE: 's3',
  RCLONE_CONFIG_LAB_PROVIDER: 'Ceph',
  RCLONE_CONFIG_LAB_ENDPOINT: lab.endpoint,
  RCLONE_CONFIG_LAB_ACCESS_KEY_ID: lab.accessKeyId,
  RCLONE_CONFIG_LAB_SECRET_ACCESS_KEY: lab.secretAccessKey,
  RCLONE_CONFIG_LAB_REGION: lab.region,
  RCLONE_CONFIG_LAB_FORCE_PATH_STYLE: 'true',
  RCLONE_CONFIG: '/dev/null',
});

/** Runs argv under /usr/bin/time: wall ms (measured here), peak RSS (MiB) and CPU seconds of the process tree. */
function timed(argv, { okCodes = [0] } = {}) {
  const timeFile = join(work, 'time.out');
  const start = performance.now();
  const child = spawnSync('/usr/bin/time', ['-o', timeFile, '-f', '%M %U %S', ...argv], { encoding: 'utf8', env, cwd: work, maxBuffer: 256 * mib });
  const wallMs = performance.now() - start;
  if (!okCodes.includes(child.status)) {
    throw new Error(`${argv.slice(0, 4).join(' ')} exited ${child.status}:\n${child.stderr.slice(-2000)}${child.stdout.slice(-2000)}`);
  }
  const [maxRssKiB, user, sys] = readFileSync(timeFile, 'utf8').trim().split('\n').at(-1).split(' ').map(Number);
  return { wallMs, peakRssMiB: Math.round(maxRssKiB / 1024), cpuS: user + sys, status: child.status, stdout: child.stdout };
}

/** Every regular file under dir (recursive). */
function countFiles(dir) {
  let files = 0;
  let bytes = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    files += 1;
    bytes += statSync(join(entry.parentPath ?? entry.path, entry.name)).size;
  }
  return { files, bytes };
}

function scenarioFor(prefix, name) {
  const file = join(work, `${name}.yaml`);
  writeFileSync(
    file,
    [
      'version: 1',
      'kind: exit',
      `id: bench-export-${name}`,
      `title: Export of ${prefix} (bench)`,
      'owner: bench',
      'objectives: {}',
      'secrets:',
      '  s3AccessKeyId: { env: DRILLBOOK_S3_ACCESS_KEY_ID }',
      '  s3SecretAccessKey: { env: DRILLBOOK_S3_SECRET_ACCESS_KEY }',
      'targets:',
      '  source:',
      '    s3:',
      `      bucket: ${bucket}`,
      `      prefix: ${prefix}`,
      `      region: ${lab.region}`,
      `      endpoint: ${lab.endpoint}`,
      '      accessKeyIdSecret: s3AccessKeyId',
      '      secretAccessKeySecret: s3SecretAccessKey',
      'defaults: { timeout: 1h }',
      'steps:',
      '  - id: export',
      '    uses: s3.export',
      '    on: source',
      '    with: { to: { dir: "${{ vars.dir }}" } }',
      'vars:',
      '  dir: out',
      '',
    ].join('\n'),
  );
  return file;
}

/** The step's copy phase (download, SHA-256, write; after the first listing, before the read-back), as the runner reports it in details.exit.transferred. */
function copyPhase(runs) {
  const known = runs.map((r) => r.copyMs).filter((ms) => typeof ms === 'number');
  return known.length === runs.length ? `${s(median(known))} s` : 'unknown (no details.exit.transferred.durationMs)';
}

/** The step's own account of what it did, in one line. */
function facts(details) {
  const exit = details.exit ?? {};
  const rec = exit.reconciliation ?? {};
  const counts = ['missing', 'extra', 'changed', 'corrupted', 'failed'].map((k) => `${k} ${rec[k]?.count ?? '?'}`).join(', ');
  return `exported ${exit.exported?.objects ?? details.exported} objects / ${exit.exported?.bytes ?? '?'} bytes, verified ${details.verified ?? '?'}, destinationVerified ${exit.destinationVerified}; reconciliation: ${counts}; concurrency ${details.concurrency}, retries ${details.retries ?? '?'}`;
}

let drillbookRuns = 0;
/** One `drillbook run` of the scenario into a fresh folder; the export step must pass (the verdict of an exit run with only an export step may be INCONCLUSIVE). */
function runDrillbook(scenario, expected) {
  drillbookRuns += 1;
  const dir = join(work, `drillbook-${drillbookRuns}`);
  const bundle = join(work, `bundle-${drillbookRuns}`);
  const t = timed([process.execPath, cli, 'run', scenario, '--store', join(work, 'store'), '--out', bundle, '--var', `dir=${dir}`, '--operator', 'bench'], { okCodes: [0, 1] });
  // record.json is an in-toto statement: the run record is its predicate.
  const statement = JSON.parse(readFileSync(join(bundle, 'record.json'), 'utf8'));
  const record = statement.predicate ?? statement;
  const step = record.steps.find((candidate) => candidate.id === 'export');
  if (step?.status !== 'passed') {
    throw new Error(`drillbook: step export ${step?.status ?? 'missing'} (verdict ${record.verdict}): ${step?.message ?? JSON.stringify(record.verdictReasons)}`);
  }
  const stored = countFiles(join(dir, 'objects'));
  const manifests = readdirSync(join(dir, 'manifests'));
  const lines = manifests.reduce((n, name) => n + readFileSync(join(dir, 'manifests', name), 'utf8').split('\n').filter(Boolean).length, 0);
  if (stored.files !== expected.files || stored.bytes !== expected.bytes || lines !== expected.files) {
    throw new Error(`drillbook: ${stored.files} files / ${stored.bytes} bytes under objects/, ${lines} manifest lines; expected ${expected.files} / ${expected.bytes}`);
  }
  const details = step.attempts?.at(-1)?.details ?? {};
  rmSync(dir, { recursive: true, force: true });
  return { ...t, stepMs: step.durationMs, copyMs: details.exit?.transferred?.durationMs, verdict: record.verdict, details };
}

let rcloneRuns = 0;
/** `rclone copy` then `rclone check` into a fresh folder (`parallel`: transfers and checkers; rclone's defaults without); both must exit 0. */
function runRclone(prefix, parallel, expected) {
  rcloneRuns += 1;
  const dir = join(work, `rclone-${rcloneRuns}`);
  const source = `lab:${bucket}/${prefix}`;
  const copy = timed(['rclone', 'copy', source, dir, '-q', ...(parallel ? ['--transfers', String(parallel), '--checkers', String(parallel)] : [])]);
  const check = timed(['rclone', 'check', source, dir, '-q', ...(parallel ? ['--checkers', String(parallel)] : [])]);
  const copied = countFiles(dir);
  if (copied.files !== expected.files || copied.bytes !== expected.bytes) throw new Error(`rclone: ${copied.files} files / ${copied.bytes} bytes; expected ${expected.files} / ${expected.bytes}`);
  rmSync(dir, { recursive: true, force: true });
  return { wallMs: copy.wallMs + check.wallMs, copyMs: copy.wallMs, checkMs: check.wallMs, peakRssMiB: Math.max(copy.peakRssMiB, check.peakRssMiB), cpuS: copy.cpuS + check.cpuS };
}

async function seed() {
  const { S3Client, CreateBucketCommand, PutObjectCommand } = await import('@aws-sdk/client-s3');
  const client = new S3Client({
    endpoint: lab.endpoint,
    region: lab.region,
    forcePathStyle: true,
    credentials: { accessKeyId: lab.accessKeyId, secretAccessKey: lab.secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  try {
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    const put = (Key, Body) => client.send(new PutObjectCommand({ Bucket: bucket, Key, Body }));
    let start = performance.now();
    // Random bodies, all distinct (drillbook stores by SHA-256: equal bodies would be stored once).
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < objects) {
          const i = next++;
          await put(`small/${String(Math.floor(i / 100)).padStart(3, '0')}/object-${String(i).padStart(6, '0')}.bin`, randomBytes(sizeMiB * mib));
        }
      }),
    );
    console.log(`seeded ${objects} × ${sizeMiB} MiB under small/ in ${s(performance.now() - start)} s`);
    if (!withBig) return;
    start = performance.now();
    // One random block, its index stamped in front: distinct bodies without GiBs of random numbers.
    // Single PutObjects, so every ETag is an MD5 rclone can check.
    const block = randomBytes(bigObjectMiB * mib);
    for (let i = 0; i < bigCount; i++) {
      block.writeUInt32BE(i, 0);
      await put(`big/part-${i}.bin`, block);
    }
    console.log(`seeded ${bigCount} × ${bigObjectMiB} MiB under big/ in ${s(performance.now() - start)} s`);
  } finally {
    client.destroy();
  }
}

try {
  await seed();
  const small = { files: objects, bytes: smallBytes };
  const smallScenario = scenarioFor('small/', 'small');
  if (withDrillbook) {
    const valid = spawnSync(process.execPath, [cli, 'validate', smallScenario], { encoding: 'utf8', env });
    if (valid.status !== 0) throw new Error(`the generated scenario does not validate:\n${valid.stdout}${valid.stderr}`);
  }

  const contenders = {
    ...(withDrillbook ? { drillbook: () => runDrillbook(smallScenario, small) } : {}),
    ...(withRclone
      ? {
          'rclone 16/16': () => runRclone('small', 16, small),
          'rclone defaults': () => runRclone('small', undefined, small),
        }
      : {}),
  };
  const names = Object.keys(contenders);
  const results = Object.fromEntries(names.map((name) => [name, []]));
  // Warm-up, not counted: the first requests of a fresh radosgw are slow, and Node's code cache is cold.
  for (const name of names) contenders[name]();
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? names : [...names].reverse();
    for (const name of order) results[name].push(contenders[name]());
    console.log(`round ${round + 1}: ${order.map((name) => `${name} ${s(results[name].at(-1).wallMs)} s`).join(', ')}`);
  }

  console.log(`\n== ${objects} objects × ${sizeMiB} MiB (${Math.round(smallBytes / mib)} MiB), ${rounds} rounds after one warm-up, order alternated; median (per round)`);
  console.log('drillbook = `node dist/src/cli/index.js run` of an exit scenario with one s3.export step (default concurrency 16,');
  console.log('  verifyDestination on): node start-up, validation, listing, copy with SHA-256, second listing and');
  console.log('  reconciliation, read-back of every copy, journal and evidence sealing. "step" = the step\'s durationMs in record.json;');
  console.log('  "copy phase" = download + SHA-256 + write, as the step reports it (details.exit.transferred.durationMs).');
  console.log('rclone = `rclone copy` (MD5 checked against the ETag during the copy) + `rclone check` (lists the source');
  console.log('  again, MD5 of every local copy against the source listing). 16/16 = --transfers 16 --checkers 16;');
  console.log('  defaults = 4 transfers, 8 checkers. NODE_EXTRA_CA_CERTS and AWS_CA_BUNDLE unset for all children.');
  const rate = (ms) => `${(smallBytes / mib / (ms / 1000)).toFixed(0)} MiB/s`;
  for (const name of names) {
    const runs = results[name];
    const wall = median(runs.map((r) => r.wallMs));
    let line = `${name.padEnd(16)} wall ${s(wall)} s (${runs.map((r) => s(r.wallMs)).join(' / ')})  ${rate(wall)}`;
    if (name === 'drillbook') line += `  step ${s(median(runs.map((r) => r.stepMs)))} s (${runs.map((r) => s(r.stepMs)).join(' / ')}), of which copy phase ${copyPhase(runs)}`;
    else line += `  copy ${s(median(runs.map((r) => r.copyMs)))} s + check ${s(median(runs.map((r) => r.checkMs)))} s`;
    line += `  CPU ${median(runs.map((r) => r.cpuS)).toFixed(1)} s  peak RSS ${median(runs.map((r) => r.peakRssMiB))} MiB`;
    console.log(line);
  }
  if (withDrillbook && withRclone) {
    const db = median(results.drillbook.map((r) => r.wallMs));
    const step = median(results.drillbook.map((r) => r.stepMs));
    for (const peer of ['rclone 16/16', 'rclone defaults']) {
      const other = median(results[peer].map((r) => r.wallMs));
      console.log(`ratio drillbook / ${peer} (copy+check): whole command ${(db / other).toFixed(2)}, step alone ${(step / other).toFixed(2)}  (< 1: drillbook faster)`);
    }
    console.log(`drillbook verdict: ${results.drillbook[0].verdict} (an exit run with only an export step need not PASS; the export step passed every time)`);
    console.log(`drillbook facts (last run): ${facts(results.drillbook.at(-1).details)}`);
  }

  if (withBig) {
    const big = { files: bigCount, bytes: bigBytes };
    console.log(`\n== memory: ${bigCount} objects × ${bigObjectMiB} MiB (${(bigBytes / 1024 / mib).toFixed(1)} GiB), one run each; peak RSS from /usr/bin/time (%M)`);
    const rows = [];
    if (withDrillbook) {
      const bigScenario = scenarioFor('big/', 'big');
      const baseline = timed([process.execPath, cli, 'validate', bigScenario]);
      console.log(`drillbook validate (same scenario, no transfer), for reference: peak RSS ${baseline.peakRssMiB} MiB`);
      const r = runDrillbook(bigScenario, big);
      rows.push({ name: 'drillbook', ...r });
      console.log(`drillbook facts: ${facts(r.details)}`);
    }
    if (withRclone) rows.push({ name: 'rclone 16/16', ...runRclone('big', 16, big) });
    for (const row of rows) {
      const extra = row.name === 'drillbook' ? `step ${s(row.stepMs)} s (${(bigBytes / mib / (row.stepMs / 1000)).toFixed(0)} MiB/s), of which copy phase ${copyPhase([row])}` : `copy ${s(row.copyMs)} s + check ${s(row.checkMs)} s`;
      console.log(
        `${row.name.padEnd(16)} peak RSS ${String(row.peakRssMiB).padStart(5)} MiB  wall ${s(row.wallMs)} s (${(bigBytes / mib / (row.wallMs / 1000)).toFixed(0)} MiB/s)  ${extra}  CPU ${row.cpuS.toFixed(1)} s`,
      );
    }
    console.log('(rclone: the larger peak of its two processes; throughput = exported bytes / wall time of copy+check, or of the step)');
  }
} finally {
  console.log(`\nload average at end: ${load()}`);
  spawnSync('bash', ['scripts/lab/radosgw.sh', 'down', lab.dir], { stdio: 'inherit' });
  if (values.keep) console.log(`kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
