// A customer's data at a SaaS provider, as the exit-readiness sample exports it: ~3,000 objects of real
// formats (PDF invoices, CSV exports, NDJSON events, JSON, PNG, XML, gzip, text), content types as an app
// sets them (some missing), `customer-id` user metadata, keys that trip naive exporters (`../`, leading and
// double slashes, `.` segments, case twins, NFC/NFD twins, `%20`, a newline, ~900 bytes, non-Latin
// scripts), an empty object, two equal bodies, three objects in a closed format, and ~20 MiB of larger
// CSVs. Deterministic: a seeded PRNG and fixed dates, so every run writes the same bytes.
// Usage: DRILLBOOK_S3_ACCESS_KEY_ID=… DRILLBOOK_S3_SECRET_ACCESS_KEY=… node exit-seed.mjs ENDPOINT BUCKET [--empty BUCKET2]
// The bucket is emptied (every version), removed and created again; `--empty` also (re)creates BUCKET2 empty
// (the neutral bucket the sample re-imports into).
import { Buffer } from 'node:buffer';
import { performance } from 'node:perf_hooks';
import { crc32, deflateSync, gzipSync } from 'node:zlib';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  HeadBucketCommand,
  ListObjectVersionsCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';

// The SDK is pinned while drillbook supports Node 20; its notice about later releases is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const [endpoint, bucket, ...rest] = process.argv.slice(2);
const emptyBucket = rest[0] === '--empty' ? rest[1] : undefined;
const accessKeyId = process.env.DRILLBOOK_S3_ACCESS_KEY_ID;
const secretAccessKey = process.env.DRILLBOOK_S3_SECRET_ACCESS_KEY;
if (!endpoint || !bucket || !accessKeyId || !secretAccessKey || (rest.length > 0 && !emptyBucket)) {
  console.error('usage: DRILLBOOK_S3_ACCESS_KEY_ID=… DRILLBOOK_S3_SECRET_ACCESS_KEY=… exit-seed.mjs ENDPOINT BUCKET [--empty BUCKET2]');
  process.exit(2);
}

// mulberry32: small, fast, and the same sequence on every machine.
let state = 0x5eed_e417;
function random() {
  state = (state + 0x6d2b79f5) | 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const int = (min, max) => min + Math.floor(random() * (max - min + 1));
const pick = (list) => list[Math.floor(random() * list.length)];
const pad = (n, width) => String(n).padStart(width, '0');
const randomBuffer = (length) => Buffer.from(Array.from({ length }, () => int(0, 255)));

const firstNames = ['Marie', 'Jean', 'Zoë', 'Léa', 'Lukas', 'Sofía', 'Aoife', 'Mateusz', 'Anna', 'João', 'Ingrid', 'Oğuz', 'Chloé', 'Ahmed', 'Yuki', 'Élodie', 'Sean'];
const lastNames = ['Dupont', 'Müller', "O'Brien", 'García', 'Nowak', 'Rossi', 'Jensen', 'Silva', 'Bernard', 'Kowalski', 'Yılmaz', 'Lefèvre', 'Tanaka', 'van der Berg'];
const companies = ['Acme, Inc.', 'Bäckerei Schmidt GmbH', 'Les "Trois" Chênes', 'Nordic Fish AS', 'Café du Port', 'Smith & Sons, Ltd.', 'Tanaka Trading'];
const countries = ['FR', 'DE', 'IE', 'ES', 'PL', 'IT', 'DK', 'PT', 'JP', 'TR', 'NL'];
const products = ['Basic plan', 'Pro plan', 'Extra seat', 'Storage 100 GB', 'Support, premium', 'API calls (1M)'];
const words = 'the customer asked about renewal invoice refund delivery late address changed call back next week approved pending escalated résumé naïve façade coöperate'.split(' ');
const months = Array.from({ length: 11 }, (_, i) => pad(i + 1, 2));

const customers = Array.from({ length: 500 }, (_, i) => {
  const first = pick(firstNames);
  const last = pick(lastNames);
  return {
    id: `C-${pad(i + 1, 5)}`,
    name: `${first} ${last}`,
    email: `${first}.${last}`.normalize('NFD').replace(/[^A-Za-z.]/g, '').toLowerCase() + `${i + 1}@example.com`,
    company: pick(companies),
    country: pick(countries),
  };
});

/** A CSV field, quoted when it holds a comma, a quote or a line break (RFC 4180). */
const csvField = (value) => (/[",\n]/.test(String(value)) ? `"${String(value).replaceAll('"', '""')}"` : String(value));
const csvLine = (fields) => fields.map(csvField).join(',') + '\r\n';
const orderHeader = ['order_id', 'customer_id', 'customer_name', 'company', 'product', 'quantity', 'amount', 'currency', 'placed_at', 'note'];
let orderId = 100_000;
function orderRow(month) {
  const customer = pick(customers);
  const quantity = int(1, 20);
  const note = pick(['', '', '', 'rush, please', 'call "before" delivery', 'gift; no invoice in box']);
  return csvLine([orderId++, customer.id, customer.name, customer.company, pick(products), quantity, (quantity * int(500, 9_900) / 100).toFixed(2), 'EUR', `2026-${month}-${pad(int(1, 28), 2)}T${pad(int(0, 23), 2)}:${pad(int(0, 59), 2)}:00Z`, note]);
}
const ordersCsv = (month, rows) => csvLine(orderHeader) + Array.from({ length: rows }, () => orderRow(month)).join('');

/** A one-page PDF 1.4 with Helvetica text lines and an exact cross-reference table. */
function pdf(lines) {
  const ascii = (text) => text.normalize('NFD').replace(/[^\x20-\x7e]/g, '').replace(/[\\()]/g, (c) => `\\${c}`);
  const content = lines.map((line, i) => `BT /F1 ${i === 0 ? 18 : 11} Tf 72 ${770 - i * 24} Td (${ascii(line)}) Tj ET`).join('\n');
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>',
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>',
    `<< /Length ${content.length} >>\nstream\n${content}\nendstream`,
  ];
  let text = '%PDF-1.4\n%\xe2\xe3\xcf\xd3\n';
  const offsets = objects.map((body, i) => {
    const offset = text.length;
    text += `${i + 1} 0 obj\n${body}\nendobj\n`;
    return offset;
  });
  const xref = text.length;
  text += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${pad(o, 10)} 00000 n \n`).join('')}`;
  text += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(text, 'latin1');
}

/** An 8-bit RGB PNG of a few pixels: signature, IHDR, one zlib IDAT (filter 0 rows), IEND, each with its CRC. */
function png(width, height) {
  const chunk = (type, data) => {
    const head = Buffer.alloc(4);
    head.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([head, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // truecolour RGB; compression, filter and interlace stay 0
  const rows = Buffer.concat(Array.from({ length: height }, () => Buffer.concat([Buffer.from([0]), randomBuffer(width * 3)])));
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', header), chunk('IDAT', deflateSync(rows)), chunk('IEND', Buffer.alloc(0))]);
}

const xmlEscape = (text) => text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
const sentence = () => Array.from({ length: int(6, 18) }, () => pick(words)).join(' ') + '.';

const startedAt = performance.now();
/** Everything to upload, in a fixed order. */
const objects = [];
const add = (key, body, contentType, metadata) => objects.push({ key, body: Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8'), contentType, metadata });

for (const customer of customers) {
  const record = { ...customer, plan: pick(products.slice(0, 2)), createdAt: `2025-${pad(int(1, 12), 2)}-${pad(int(1, 28), 2)}T09:00:00Z`, tags: Array.from({ length: int(0, 3) }, () => pick(['vip', 'churn-risk', 'eu', 'reseller'])) };
  add(`customers/${customer.id}.json`, JSON.stringify(record, null, 2) + '\n', 'application/json', { 'customer-id': customer.id });
}
for (const customer of customers.slice(0, 400)) add(`attachments/${customer.id}/photo.png`, png(int(2, 16), int(2, 16)), 'image/png', { 'customer-id': customer.id, 'uploaded-by': 'mobile-app' });
for (let n = 1; n <= 900; n++) {
  const customer = pick(customers);
  const month = months[Math.floor(((n - 1) * months.length) / 900)];
  const id = `INV-${pad(n, 6)}`;
  const quantity = int(1, 12);
  const body = pdf([`Invoice ${id}`, `Customer ${customer.id}: ${customer.name}, ${customer.company}`, `Date 2026-${month}-${pad(int(1, 28), 2)}`, `${quantity} x ${pick(products)}`, `Total ${(quantity * int(900, 9_900) / 100).toFixed(2)} EUR`]);
  // Invoices from the old billing system were stored without a content type.
  add(`invoices/2026/${month}/${id}.pdf`, body, n % 50 === 0 ? undefined : 'application/pdf', { 'customer-id': customer.id });
}
for (let day = 0; day < 332; day++) {
  const date = new Date(Date.UTC(2026, 0, 1 + day)).toISOString().slice(0, 10);
  const lines = Array.from({ length: int(20, 60) }, (_, i) =>
    JSON.stringify({ ts: `${date}T${pad(Math.floor((i * 24) / 60), 2)}:${pad(int(0, 59), 2)}:${pad(int(0, 59), 2)}Z`, type: pick(['login', 'invoice.sent', 'order.placed', 'password.reset', 'export.requested']), customer: pick(customers).id, ip: `198.51.100.${int(1, 254)}` }),
  );
  // The event pipeline sets no content type.
  add(`events/${date}.ndjson`, lines.join('\n') + '\n', undefined);
}
for (const month of months) add(`exports/orders-2026-${month}.csv`, ordersCsv(month, int(80, 300)), 'text/csv');
// Two keys, one body: someone kept a copy.
add('exports/orders-2026-10 (copy).csv', objects.find((o) => o.key === 'exports/orders-2026-10.csv').body, 'text/csv');
// The larger exports that give the throughput figure some weight: 20 × ~1 MiB.
for (let part = 1; part <= 20; part++) add(`exports/full/orders-2026-part-${pad(part, 2)}.csv`, ordersCsv(months[(part - 1) % 11], 9_800), 'text/csv; charset=utf-8');
for (let n = 1; n <= 200; n++) {
  const month = months[(n - 1) % 11];
  const rows = Array.from({ length: int(3, 12) }, () => `    <line customer="${pick(customers).id}" product="${xmlEscape(pick(products))}" amount="${(int(100, 99_900) / 100).toFixed(2)}"/>`);
  add(`reports/usage-2026-${month}-${pad(n, 3)}.xml`, `<?xml version="1.0" encoding="UTF-8"?>\n<report id="R-${pad(n, 4)}" period="2026-${month}">\n  <lines>\n${rows.join('\n')}\n  </lines>\n</report>\n`, 'application/xml');
}
for (let n = 0; n < 150; n++) {
  const date = new Date(Date.UTC(2025, 0, 1 + n * 2)).toISOString().slice(0, 10);
  add(`archive/orders-${date}.csv.gz`, gzipSync(ordersCsv(date.slice(5, 7), int(40, 200))), 'application/gzip');
}
for (let n = 1; n <= 450; n++) {
  const customer = pick(customers);
  const text = `Note about ${customer.name} (${customer.id})\n\n${Array.from({ length: int(1, 6) }, sentence).join('\n')}\n`;
  add(`notes/${customer.id}-${pad(n, 4)}.txt`, text, n % 5 === 0 ? undefined : 'text/plain; charset=utf-8');
}
add('notes/empty.txt', '', 'text/plain');

// Keys that trip exporters which turn keys into paths or URLs naively.
add('../../etc/passwd', 'This object\'s key tries to leave the export folder.\n', 'text/plain');
add('/absolute/looking/key.txt', 'A key with a leading slash.\n', 'text/plain');
add('a//double//slash.csv', csvLine(['id', 'value']) + csvLine([1, 'double, slash']), 'text/csv');
add('./dot/./segments.json', '{"note": "a key with . segments"}\n', 'application/json');
add('Report.CSV', csvLine(['case', 'upper']) + csvLine(['Report.CSV', 1]), 'text/csv');
add('report.csv', csvLine(['case', 'lower']) + csvLine(['report.csv', 2]), 'text/csv');
add('café.txt'.normalize('NFC'), 'café, composed (NFC: U+00E9)\n', 'text/plain; charset=utf-8');
add('café.txt'.normalize('NFD'), 'café, decomposed (NFD: e + U+0301)\n'.normalize('NFD'), 'text/plain; charset=utf-8');
add('notes/meeting notes%20final v2.txt', 'A key with spaces and a literal %20.\n', 'text/plain');
add('notes/line\nbreak.txt', 'A key with a newline in it.\n', 'text/plain');
// ~900 bytes, every segment under 255 bytes (a file system's name limit).
const longSegments = Array.from({ length: 8 }, (_, i) => `project-${i}-${'quarterly-reconciliation-of-customer-accounts-'.repeat(2)}${pad(i, 3)}`);
add(`${longSegments.join('/')}/${'x'.repeat(900 - longSegments.join('/').length - 10)}-final.txt`, 'A key of about 900 bytes.\n', 'text/plain');
add('日本語/データ.json', JSON.stringify({ 顧客: 'C-00001', メモ: 'データ' }) + '\n', 'application/json');
// A closed format: the old desktop tool's database files, meaningless without it.
for (let n = 1; n <= 3; n++) add(`legacy/blob-${n}.dat`, Buffer.concat([Buffer.from('LGCYDB\x00\x02', 'latin1'), randomBuffer(int(16, 64) * 1024)]), 'application/octet-stream');

const client = new S3Client({
  endpoint,
  region: 'us-east-1',
  forcePathStyle: true,
  credentials: { accessKeyId, secretAccessKey },
  // Non-AWS servers: no flexible checksums (streamed uploads fail or are corrupted otherwise).
  requestChecksumCalculation: 'WHEN_REQUIRED',
  responseChecksumValidation: 'WHEN_REQUIRED',
});

// The SDK sends `Content-Type: application/octet-stream` when none is given; an app that sets none sends
// no header at all (the server then answers with its own default).
client.middlewareStack.add(
  (next) => async (args) => {
    if (args.input.ContentType === undefined && args.request?.headers) {
      for (const name of Object.keys(args.request.headers)) if (name.toLowerCase() === 'content-type') delete args.request.headers[name];
    }
    return next(args);
  },
  { step: 'build', name: 'omitDefaultContentType' },
);

/** Removes the bucket with every version and delete marker in it, when it exists. */
async function removeBucket(bucket) {
  try {
    await client.send(new HeadBucketCommand({ Bucket: bucket }));
  } catch (error) {
    if (error?.$metadata?.httpStatusCode === 404) return;
    throw error;
  }
  const doomed = [];
  let keyMarker;
  let versionIdMarker;
  for (;;) {
    const page = await client.send(new ListObjectVersionsCommand({ Bucket: bucket, KeyMarker: keyMarker, VersionIdMarker: versionIdMarker }));
    for (const { Key, VersionId } of [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])]) doomed.push({ Key, VersionId });
    if (!page.IsTruncated) break;
    keyMarker = page.NextKeyMarker;
    versionIdMarker = page.NextVersionIdMarker;
  }
  // Small batches, 16 at once: radosgw deletes the keys of one request one after the other.
  const batches = Array.from({ length: Math.ceil(doomed.length / 100) }, (_, i) => doomed.slice(i * 100, (i + 1) * 100));
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      for (let batch = batches.shift(); batch; batch = batches.shift()) {
        const result = await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: batch, Quiet: true }, BypassGovernanceRetention: true }));
        if (result.Errors?.length) throw new Error(`cannot empty ${bucket}: ${result.Errors[0].Key}: ${result.Errors[0].Message}`);
      }
    }),
  );
  await client.send(new DeleteBucketCommand({ Bucket: bucket }));
}

const generatedAt = performance.now();
let removedAt = generatedAt;
try {
  await removeBucket(bucket);
  if (emptyBucket) await removeBucket(emptyBucket);
  removedAt = performance.now();
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  if (emptyBucket) await client.send(new CreateBucketCommand({ Bucket: emptyBucket }));
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < objects.length) {
        const { key, body, contentType, metadata } = objects[next++];
        await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType, Metadata: metadata }));
      }
    }),
  );
} finally {
  client.destroy();
}
const bytes = objects.reduce((sum, o) => sum + o.body.length, 0);
const seconds = (from, to) => ((to - from) / 1000).toFixed(1);
console.log(`exit-seed: ${objects.length} objects, ${bytes} bytes (${(bytes / 1048576).toFixed(1)} MiB) in s3://${bucket} at ${endpoint}; generated in ${seconds(startedAt, generatedAt)} s, old bucket removed in ${seconds(generatedAt, removedAt)} s, uploaded in ${seconds(removedAt, performance.now())} s`);
