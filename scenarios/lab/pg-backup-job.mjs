// The shop's nightly backup job, as the restore sample finds it: a `shop` database with known tables,
// dumped with `pg_dump -Fc` into an immutable bucket (versioning + Object Lock, GOVERNANCE 7 days), each
// dump with a `.sha256` manifest beside it. Usage: pg-backup-job.mjs PG_LAB_JSON S3_LAB_JSON BUCKET [DATABASE]
// (the lab facts written by scripts/lab/postgres.sh and radosgw.sh; DATABASE defaults to shop).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, PutObjectCommand, PutObjectLockConfigurationCommand, S3Client } from '@aws-sdk/client-s3';

// The SDK is pinned while drillbook supports Node 20; its notice about later releases is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const [pgLabFile, s3LabFile, bucket, database = 'shop'] = process.argv.slice(2);
if (!pgLabFile || !s3LabFile || !bucket || !/^[a-z_][a-z0-9_]*$/.test(database)) {
  console.error('usage: pg-backup-job.mjs PG_LAB_JSON S3_LAB_JSON BUCKET [DATABASE]');
  process.exit(2);
}
const pg = JSON.parse(readFileSync(pgLabFile, 'utf8'));
const s3Lab = JSON.parse(readFileSync(s3LabFile, 'utf8'));
const env = { ...process.env, PGHOST: pg.host, PGPORT: String(pg.port), PGUSER: pg.user, PGPASSWORD: pg.password };

const run = (program, args) => {
  const result = spawnSync(join(pg.binDir, program), args, { env, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${program} failed: ${result.stderr}`);
  return result.stdout;
};

// Deterministic data, so a reconciliation has something exact to compare.
const schema = `
CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL, email text NOT NULL);
CREATE TABLE products (id int PRIMARY KEY, title text NOT NULL, price_cents int NOT NULL);
CREATE TABLE orders (id int PRIMARY KEY, customer_id int NOT NULL REFERENCES customers, product_id int NOT NULL REFERENCES products,
                     quantity int NOT NULL, placed_at timestamptz NOT NULL);
INSERT INTO customers SELECT i, 'customer ' || i, 'c' || i || '@shop.example' FROM generate_series(1, 1000) i;
INSERT INTO products SELECT i, 'product ' || i, 100 * i FROM generate_series(1, 50) i;
INSERT INTO orders SELECT i, 1 + i % 1000, 1 + i % 50, 1 + i % 5, timestamptz '2026-01-01' + i * interval '1 minute' FROM generate_series(1, 20000) i;
`;
run('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', 'postgres', '-c', `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`, '-c', `CREATE DATABASE ${database}`]);
run('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', database, '-c', schema]);

const client = new S3Client({
  endpoint: s3Lab.endpoint,
  region: s3Lab.region,
  forcePathStyle: true,
  credentials: { accessKeyId: s3Lab.accessKeyId, secretAccessKey: s3Lab.secretAccessKey },
  requestChecksumCalculation: 'WHEN_REQUIRED',
  responseChecksumValidation: 'WHEN_REQUIRED',
});
await client.send(new CreateBucketCommand({ Bucket: bucket, ObjectLockEnabledForBucket: true }));
await client.send(
  new PutObjectLockConfigurationCommand({
    Bucket: bucket,
    ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 7 } } },
  }),
);

const dir = mkdtempSync(join(tmpdir(), 'drillbook-backup-'));
try {
  // Two nights: the drill must pick the newer one.
  for (const night of ['older', 'newest']) {
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
    const file = join(dir, `shop-${stamp}.dump`);
    run('pg_dump', ['-Fc', '-d', database, '-f', file]);
    const data = readFileSync(file);
    const sha256 = createHash('sha256').update(data).digest('hex');
    const key = `pg/shop/shop-${stamp}.dump`;
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: data }));
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: `${key}.sha256`, Body: `${sha256}  shop-${stamp}.dump\n` }));
    console.log(`backup job: ${night} dump s3://${bucket}/${key} (${data.length} bytes, sha256 ${sha256})`);
    // Distinct LastModified seconds and key names for the two nights.
    if (night === 'older') await new Promise((resolve) => setTimeout(resolve, 1_100));
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
  client.destroy();
}
