/**
 * Tamper trials: one byte changed at a random position of every file of a signed and signed-off bundle,
 * many times over; every change must fail verification. Seeded, so a failure can be replayed.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listBundleFiles } from '../../src/evidence/bundle-files.js';
import { signOffBundle } from '../../src/evidence/sign-off.js';
import { verifyBundle } from '../../src/evidence/verify.js';
import { sealedBundle, testKeys } from './fixtures.js';

const trialsPerFile = 32;
const seed = 0x5eed_2026;
const operator = testKeys();
const reviewer = testKeys();
let dir: string;
let files: string[];

/** mulberry32: small, seeded, good enough to spread positions. */
function random(seedValue: number): () => number {
  let a = seedValue >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'drillbook-tamper-'));
  await sealedBundle(dir, { signingKey: operator.signing.privateKey });
  await signOffBundle(dir, reviewer.signing, { role: 'reviewer', at: '2026-11-29T09:00:00.000Z' });
  files = (await listBundleFiles(dir)).files;
  const before = await verifyBundle(dir, { keys: [operator.trusted, reviewer.trusted], threshold: 2 });
  expect(before.ok).toBe(true);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('tamper trials', () => {
  it('covers every kind of file in the bundle', () => {
    expect(files).toEqual([
      'journal.jsonl',
      'junit.xml',
      'logs/disaster.1.stdout.log',
      'logs/promote.1.stdout.log',
      'logs/promote.2.stdout.log',
      'record.dsse.json',
      'record.json',
      'report.html',
      'scenario.yaml',
      `signatures/${reviewer.signing.keyid}.dsse.json`,
    ]);
  });

  it(`detects a single changed byte at ${trialsPerFile} random positions of every file (seed ${seed.toString(16)})`, async () => {
    const next = random(seed);
    const undetected: string[] = [];
    for (const file of files) {
      const path = join(dir, file);
      const original = readFileSync(path);
      for (let trial = 0; trial < trialsPerFile; trial += 1) {
        const position = Math.floor(next() * original.length);
        const flip = 1 + Math.floor(next() * 255); // XOR with 1..255: the byte always changes
        const tampered = Buffer.from(original);
        tampered[position] = tampered[position]! ^ flip;
        writeFileSync(path, tampered);
        const report = await verifyBundle(dir, { keys: [operator.trusted, reviewer.trusted], threshold: 2 });
        if (report.ok) undetected.push(`${file} byte ${position} ^ 0x${flip.toString(16)}`);
      }
      writeFileSync(path, original);
    }
    expect(undetected).toEqual([]);
    expect((await verifyBundle(dir, { keys: [operator.trusted, reviewer.trusted], threshold: 2 })).ok).toBe(true);
  });

  it('detects a truncated or extended file', async () => {
    for (const file of files) {
      const path = join(dir, file);
      const original = readFileSync(path);
      for (const tampered of [original.subarray(0, original.length - 1), Buffer.concat([original, Buffer.from('\n')])]) {
        writeFileSync(path, tampered);
        expect((await verifyBundle(dir, { keys: [operator.trusted, reviewer.trusted], threshold: 2 })).ok, file).toBe(false);
      }
      writeFileSync(path, original);
    }
  });
});
