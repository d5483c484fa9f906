/**
 * Tamper campaign: random single-byte changes, truncations, insertions, and files added or removed across a
 * signed, signed-off bundle; every one must fail `verifyBundle` (what `drillbook verify` runs), and a sample
 * must fail the documented openssl procedure too (which covers everything but the sign-off files: those have
 * their own procedure). Seeded; DRILLBOOK_CAMPAIGN_RUNS sets the number of mutations (default 1,000).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listBundleFiles } from '../../src/evidence/bundle-files.js';
import { signOffBundle } from '../../src/evidence/sign-off.js';
import { verifyBundle } from '../../src/evidence/verify.js';
import { sealedBundle, testKeys } from '../evidence/fixtures.js';

const mutations = Number(process.env['DRILLBOOK_CAMPAIGN_RUNS'] ?? 1000) || 1000;
const opensslSample = 24;
const seed = 0x7a3e_2026;
const operator = testKeys();
const reviewer = testKeys();
let root: string;
let dir: string;
let files: string[];
let pub: string;
let procedure: string;

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

type Mutation = { what: string; apply(): void; undo(): void; file: string };

function mutation(next: () => number): Mutation {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)] as T;
  const file = pick(files);
  const path = join(dir, file);
  const original = readFileSync(path);
  const at = Math.floor(next() * original.length);
  const kind = pick(['flip', 'flip', 'truncate', 'insert', 'add', 'remove'] as const);
  const restore = (): void => writeFileSync(path, original);
  switch (kind) {
    case 'flip': {
      const flip = 1 + Math.floor(next() * 255);
      const tampered = Buffer.from(original);
      tampered[at] = (tampered[at] ?? 0) ^ flip;
      return { what: `${file}: byte ${at} ^ 0x${flip.toString(16)}`, file, apply: () => writeFileSync(path, tampered), undo: restore };
    }
    case 'truncate':
      return { what: `${file}: cut to ${at} bytes`, file, apply: () => writeFileSync(path, original.subarray(0, at)), undo: restore };
    case 'insert': {
      const extra = Buffer.from([Math.floor(next() * 256)]);
      return { what: `${file}: byte inserted at ${at}`, file, apply: () => writeFileSync(path, Buffer.concat([original.subarray(0, at), extra, original.subarray(at)])), undo: restore };
    }
    case 'remove':
      return { what: `${file}: removed`, file, apply: () => unlinkSync(path), undo: restore };
    case 'add': {
      const added = join(dirname(path), `extra-${Math.floor(next() * 1e6)}.log`);
      return {
        what: `${added.slice(dir.length + 1)}: added`,
        file: added.slice(dir.length + 1),
        apply: () => {
          mkdirSync(dirname(added), { recursive: true });
          writeFileSync(added, 'planted\n');
        },
        undo: () => unlinkSync(added),
      };
    }
  }
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'drillbook-tamper-campaign-'));
  dir = join(root, 'bundle');
  await sealedBundle(dir, { signingKey: operator.signing.privateKey });
  await signOffBundle(dir, reviewer.signing, { role: 'reviewer', at: '2026-11-29T09:00:00.000Z' });
  files = (await listBundleFiles(dir)).files;
  pub = join(root, 'operator.pub');
  writeFileSync(pub, operator.publicKeyPem);
  const docs = readFileSync(new URL('../../docs/evidence.md', import.meta.url), 'utf8');
  procedure = /```sh\n([\s\S]*?)```/.exec(docs.slice(docs.indexOf('<!-- tested: verify-with-openssl')))?.[1] ?? '';
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const trusted = () => ({ keys: [operator.trusted, reviewer.trusted], threshold: 2 });

describe('tamper campaign', () => {
  it(`detects every one of ${mutations} random changes, truncations, insertions, additions and removals (seed ${seed.toString(16)})`, async () => {
    expect((await verifyBundle(dir, trusted())).ok).toBe(true);
    const next = random(seed);
    const undetected: string[] = [];
    const kinds = new Set<string>();
    for (let i = 0; i < mutations; i += 1) {
      const m = mutation(next);
      kinds.add(m.what.replace(/^.*: (\w+).*$/, '$1'));
      m.apply();
      try {
        if ((await verifyBundle(dir, trusted())).ok) undetected.push(m.what);
      } finally {
        m.undo();
      }
    }
    expect(undetected).toEqual([]);
    expect([...kinds].sort()).toEqual(['added', 'byte', 'cut', 'removed']);
    expect((await verifyBundle(dir, trusted())).ok).toBe(true);
  });

  it(`the documented openssl procedure fails on a sample of ${opensslSample} of them`, () => {
    expect(procedure).toContain('openssl pkeyutl -verify');
    const run = () => spawnSync('sh', ['-c', procedure], { env: { ...process.env, BUNDLE: dir, PUB: pub }, encoding: 'utf8' });
    expect(run().status).toBe(0);
    const next = random(seed ^ 0xffff);
    const undetected: string[] = [];
    let tried = 0;
    while (tried < opensslSample) {
      const m = mutation(next);
      if (m.file.startsWith('signatures/')) continue;
      tried += 1;
      m.apply();
      try {
        if (run().status === 0) undetected.push(m.what);
      } finally {
        m.undo();
      }
    }
    expect(undetected).toEqual([]);
    expect(run().status).toBe(0);
  });
});
