/**
 * The verification procedure of docs/evidence.md (openssl, jq, base64, sha256sum), run exactly as written
 * on a real bundle: it must pass on a valid bundle and fail when any one byte changes.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signOffBundle } from '../../src/evidence/sign-off.js';
import { sealedBundle, testKeys } from '../evidence/fixtures.js';

const docs = readFileSync(new URL('../../docs/evidence.md', import.meta.url), 'utf8');
const readmeUrl = new URL('../../README.md', import.meta.url);

/** The fenced sh block right after `<!-- tested: NAME … -->`. */
function testedBlock(text: string, name: string): string | undefined {
  const start = text.indexOf(`<!-- tested: ${name}`);
  if (start === -1) return undefined;
  const match = /```sh\n([\s\S]*?)```/.exec(text.slice(start));
  return match?.[1];
}

const operator = testKeys();
const reviewer = testKeys();
let root: string;
let bundle: string;
let operatorPub: string;
let reviewerPub: string;

function run(script: string, pub: string): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync('sh', ['-c', script], { env: { ...process.env, BUNDLE: bundle, PUB: pub }, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Change one byte of `file`, run the procedure, restore the file. */
function withFlippedByte(file: string, position: (size: number) => number, script: string, pub: string) {
  const path = join(bundle, file);
  const original = readFileSync(path);
  const tampered = Buffer.from(original);
  const at = position(original.length);
  tampered[at] = tampered[at]! ^ 0x01;
  writeFileSync(path, tampered);
  try {
    return run(script, pub);
  } finally {
    writeFileSync(path, original);
  }
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'drillbook-openssl-'));
  bundle = join(root, 'bundle');
  await sealedBundle(bundle, { signingKey: operator.signing.privateKey });
  await signOffBundle(bundle, reviewer.signing, { role: 'reviewer' });
  operatorPub = join(root, 'operator.pub');
  reviewerPub = join(root, 'reviewer.pub');
  writeFileSync(operatorPub, operator.publicKeyPem);
  writeFileSync(reviewerPub, reviewer.publicKeyPem);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('verification with openssl, jq, base64 and sha256sum (docs/evidence.md)', () => {
  const procedure = testedBlock(docs, 'verify-with-openssl') ?? '';
  const signOff = testedBlock(docs, 'verify-sign-off-with-openssl') ?? '';

  it('documents both procedures', () => {
    expect(procedure).toContain('openssl pkeyutl -verify');
    expect(signOff).toContain('.signOff.payload');
  });

  it('passes a valid bundle', () => {
    const result = run(procedure, operatorPub);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout.trimEnd().split('\n').at(-1)).toBe('bundle verified');
    expect(result.stdout).toContain('"verdict":"PASS"');
  });

  it('fails with another key', () => {
    expect(run(procedure, reviewerPub).status).not.toBe(0);
  });

  it.each([
    ['record.json', (n: number) => Math.floor(n / 2)],
    ['record.dsse.json', (n: number) => n - 10],
    ['journal.jsonl', (n: number) => Math.floor(n / 3)],
    ['logs/promote.2.stdout.log', () => 0],
    ['report.html', (n: number) => n - 20],
    ['scenario.yaml', () => 3],
  ])('fails when one byte of %s changes', (file, position) => {
    const result = withFlippedByte(file, position, procedure, operatorPub);
    expect(result.status).not.toBe(0);
    expect(result.stdout).not.toContain('bundle verified');
  });

  it('fails when a file is added that no subject covers', () => {
    const extra = join(bundle, 'logs', 'extra.log');
    writeFileSync(extra, 'x');
    try {
      expect(run(procedure, operatorPub).status).not.toBe(0);
    } finally {
      rmSync(extra);
    }
    expect(existsSync(extra)).toBe(false);
  });

  it('passes a valid sign-off and fails when its role claim or signature changes', () => {
    const ok = run(signOff, reviewerPub);
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('"role":"reviewer"');
    expect(ok.stdout.trimEnd().split('\n').at(-1)).toBe('sign-off verified');
    const file = `signatures/${reviewer.signing.keyid}.dsse.json`;
    const text = readFileSync(join(bundle, file), 'utf8');
    const claimAt = text.indexOf('"payload"', text.indexOf('"signOff"')) + 20;
    expect(withFlippedByte(file, () => claimAt, signOff, reviewerPub).status).not.toBe(0);
    expect(withFlippedByte(file, (n) => n - 10, signOff, reviewerPub).status).not.toBe(0);
  });

  it('is the procedure the README shows', () => {
    const readme = existsSync(readmeUrl) ? readFileSync(readmeUrl, 'utf8') : '';
    expect(testedBlock(readme, 'verify-with-openssl')).toBe(procedure);
  });
});
