// Restoring a multi-GiB backup keeps memory bounded: a file of N GiB is uploaded with `s3.put` (multipart)
// to a throwaway radosgw and restored with `s3.get` (streamed, SHA-256 checked), each in its own process,
// and each process's peak RSS is printed next to that of a process that only loads the same code.
// Usage: npm run build && node bench/restore-memory.mjs [GiB=2]   (root, Debian: it starts Ceph)
/* global AbortController */
import { Buffer } from 'node:buffer';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';

const self = fileURLToPath(import.meta.url);
const mib = 1024 * 1024;
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** A child: one runner, one attempt, then its facts and peak RSS as JSON on stdout. */
async function phase(name, labFile, bucket, file, sha256) {
  const { pino } = await import('pino');
  const lab = JSON.parse(readFileSync(labFile, 'utf8'));
  const runners = { put: '../dist/runners/s3/put.js', get: '../dist/runners/s3/get.js', idle: '../dist/runners/s3/get.js' };
  const module = await import(runners[name]);
  await import('@aws-sdk/client-s3');
  const startedAt = performance.now();
  let observation = {};
  if (name !== 'idle') {
    const runner = name === 'put' ? module.createS3PutRunner() : module.createS3GetRunner();
    const options = name === 'put' ? { file, key: 'bench/backup.bin', sha256 } : { key: 'bench/backup.bin', file: `${file}.restored`, sha256, overwrite: true };
    const sink = new Writable({ write: (_chunk, _encoding, done) => done() });
    observation = await runner.run({
      stepId: name,
      attempt: 1,
      options,
      target: { name: 'bench', kind: 's3', options: { bucket, region: lab.region, endpoint: lab.endpoint, accessKeyIdSecret: 'ID', secretAccessKeySecret: 'KEY' } },
      baseDir: '/',
      signal: new AbortController().signal,
      sink: { stdout: sink, stderr: sink },
      captureLimitBytes: 64 * 1024,
      clock: { now: () => performance.now(), sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)) },
      judge: () => ({ ok: true }),
      onProcess: () => undefined,
      log: pino({ level: 'silent' }),
      secret: (secretName) => (secretName === 'ID' ? lab.accessKeyId : lab.secretAccessKey),
    });
  }
  const seconds = (performance.now() - startedAt) / 1000;
  console.log(
    JSON.stringify({
      phase: name,
      error: observation.error?.message,
      seconds: Math.round(seconds * 10) / 10,
      peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
      details: observation.details,
    }),
  );
}

async function main() {
  const gib = Number(process.argv[2] ?? 2);
  const bytes = Math.round(gib * 1024 * mib);
  const work = mkdtempSync(join(tmpdir(), 'drillbook-bench-restore-'));
  const file = join(work, 'backup.bin');
  console.log(`== a ${gib} GiB backup file`);
  // Distinct 1 MiB blocks (a random block with its index in front), hashed as they are written.
  const block = randomBytes(mib);
  const hash = createHash('sha256');
  const out = createWriteStream(file);
  for (let i = 0; i * mib < bytes; i++) {
    block.writeUInt32BE(i, 0);
    const chunk = Buffer.from(block.subarray(0, Math.min(mib, bytes - i * mib)));
    hash.update(chunk);
    if (!out.write(chunk)) await new Promise((resolve) => out.once('drain', resolve));
  }
  out.end();
  await finished(out);
  const sha256 = hash.digest('hex');

  console.log('== lab: radosgw with a memstore large enough for it');
  const up = spawnSync('bash', ['scripts/lab/radosgw.sh', 'up', '--owner', String(process.pid), '--memstore-bytes', String(bytes + 2 * 1024 * mib)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const labFile = up.stdout.trim().split('\n').at(-1);
  if (up.status !== 0 || !labFile) throw new Error('the S3 lab did not start');
  const lab = JSON.parse(readFileSync(labFile, 'utf8'));
  try {
    const { S3Client, CreateBucketCommand } = await import('@aws-sdk/client-s3');
    const client = new S3Client({
      endpoint: lab.endpoint,
      region: lab.region,
      forcePathStyle: true,
      credentials: { accessKeyId: lab.accessKeyId, secretAccessKey: lab.secretAccessKey },
    });
    await client.send(new CreateBucketCommand({ Bucket: 'bench' }));
    client.destroy();

    const rows = [];
    for (const name of ['idle', 'put', 'get']) {
      const child = spawnSync(process.execPath, [self, '--phase', name, labFile, 'bench', file, sha256], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
      const result = JSON.parse(child.stdout.trim().split('\n').at(-1) ?? '{}');
      if (result.error) throw new Error(`${name}: ${result.error}`);
      rows.push(result);
    }
    const restored = statSync(`${file}.restored`).size;
    console.log(`\n== ${gib} GiB (${bytes} bytes), sha256 ${sha256.slice(0, 16)}…, restored ${restored} bytes`);
    console.log('phase  seconds  MiB/s  peak RSS (MiB)');
    for (const row of rows) {
      const rate = row.phase === 'idle' ? '-' : String(Math.round(bytes / mib / row.seconds));
      console.log(`${row.phase.padEnd(6)} ${String(row.seconds).padStart(7)}  ${rate.padStart(5)}  ${String(row.peakRssMiB).padStart(14)}`);
    }
    const get = rows.find((row) => row.phase === 'get');
    const idle = rows.find((row) => row.phase === 'idle');
    console.log(`restore holds ${get.peakRssMiB - idle.peakRssMiB} MiB above the code alone, for a ${Math.round(bytes / mib)} MiB object`);
  } finally {
    spawnSync('bash', ['scripts/lab/radosgw.sh', 'down', lab.dir], { stdio: 'inherit' });
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--phase') await phase(...process.argv.slice(3));
else await main();
