import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { keysGenerateCommand, keysIdCommand } from '../../src/cli/commands/keys.js';
import { reportCommand } from '../../src/cli/commands/report.js';
import { signCommand } from '../../src/cli/commands/sign.js';
import { verifyCommand } from '../../src/cli/commands/verify.js';
import type { CliIo } from '../../src/cli/io.js';
import { sealedBundle } from './fixtures.js';

interface Captured extends CliIo {
  out: string;
  err: string;
}
function captureIo(): Captured {
  const io: Captured = {
    out: '',
    err: '',
    isTTY: false,
    stdout: (text) => void (io.out += text),
    stderr: (text) => void (io.err += text),
  };
  return io;
}

let root: string;
let bundle: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'drillbook-cli-evidence-'));
  bundle = join(root, 'bundle');
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

async function generate(name: string): Promise<{ key: string; pub: string; keyid: string }> {
  const io = captureIo();
  expect(await keysGenerateCommand(join(root, 'keys', name), {}, io)).toBe(0);
  const keyid = /key id ([0-9a-f]{64})/.exec(io.out)?.[1] ?? '';
  return { key: join(root, 'keys', `${name}.key`), pub: join(root, 'keys', `${name}.pub`), keyid };
}

describe('drillbook keys', () => {
  it('generates an openssl-readable pair, private key 0600, and prints the key id openssl derives', async () => {
    const alice = await generate('alice');
    expect(statSync(alice.key).mode & 0o777).toBe(0o600);
    expect(statSync(alice.pub).mode & 0o777).toBe(0o644);
    expect(readFileSync(alice.key, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(readFileSync(alice.pub, 'utf8')).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
    const der = execFileSync('openssl', ['pkey', '-pubin', '-in', alice.pub, '-outform', 'DER']);
    const fromOpenssl = execFileSync('sha256sum', { input: der, encoding: 'utf8' }).slice(0, 64);
    expect(alice.keyid).toBe(fromOpenssl);
    const fromPrivate = execFileSync('openssl', ['pkey', '-in', alice.key, '-pubout', '-outform', 'DER']);
    expect(fromPrivate.equals(der)).toBe(true);

    const io = captureIo();
    expect(await keysIdCommand(alice.pub, {}, io)).toBe(0);
    expect(io.out).toBe(`${alice.keyid}\n`);
  });

  it('never replaces an existing key unless forced', async () => {
    const alice = await generate('alice');
    const before = readFileSync(alice.key, 'utf8');
    const io = captureIo();
    expect(await keysGenerateCommand(join(root, 'keys', 'alice'), {}, io)).toBe(2);
    expect(io.err).toContain('alice.key or');
    expect(io.err).toContain('hint: choose another name, or pass --force');
    expect(readFileSync(alice.key, 'utf8')).toBe(before);
    expect(await keysGenerateCommand(join(root, 'keys', 'alice'), { force: true }, captureIo())).toBe(0);
    expect(readFileSync(alice.key, 'utf8')).not.toBe(before);
  });

  it('refuses a non-Ed25519 key with exit 2', async () => {
    const rsa = join(root, 'rsa.pem');
    execFileSync('openssl', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:1024', '-out', rsa], { stdio: 'ignore' });
    const io = captureIo();
    expect(await keysIdCommand(rsa, {}, io)).toBe(2);
    expect(io.err).toBe(`drillbook: ${rsa} is a rsa key; drillbook signs with Ed25519\n  hint: create one with \`drillbook keys generate NAME\`\n`);
  });
});

describe('drillbook verify / sign / report', () => {
  it('verify exits 0 for a valid bundle and 3 naming the first failure for a changed one', async () => {
    const alice = await generate('alice');
    await sealedBundle(bundle, { signingKey: alice.key });
    const ok = captureIo();
    expect(await verifyCommand(bundle, { key: [alice.pub] }, ok)).toBe(0);
    expect(ok.out).toContain('  [ok  ] every subject file has the SHA-256 the Statement gives\n');
    expect(ok.out).toMatch(/\nVALID: pg-failover run 20261128T100000Z-4f2a, verdict PASS; signed by sealed [0-9a-f]{16}; record.json SHA-256 [0-9a-f]{64}\n$/);

    writeFileSync(join(bundle, 'logs', 'promote.2.stdout.log'), 'edited\n');
    const bad = captureIo();
    expect(await verifyCommand(bundle, { key: [alice.pub] }, bad)).toBe(3);
    expect(bad.out).toContain('  [FAIL] every subject file has the SHA-256 the Statement gives\n         logs/promote.2.stdout.log: SHA-256 is');
    expect(bad.out).toMatch(/\nINVALID: every subject file has the SHA-256 the Statement gives: logs\/promote.2.stdout.log: SHA-256 is [0-9a-f]{64}, the Statement says [0-9a-f]{64}\n$/);

    const json = captureIo();
    expect(await verifyCommand(bundle, { key: [alice.pub], json: true }, json)).toBe(3);
    const parsed = JSON.parse(json.out) as { ok: boolean; firstFailure: string; run: { verdict: string } };
    expect([parsed.ok, parsed.firstFailure, parsed.run.verdict]).toEqual([false, 'subjects', 'PASS']);
  });

  it('verify exits 2 for usage errors: missing folder, unreadable key, bad threshold', async () => {
    const alice = await generate('alice');
    await sealedBundle(bundle, { signingKey: alice.key });
    const cases: [string, Parameters<typeof verifyCommand>[1], string][] = [
      [join(root, 'nope'), { key: [alice.pub] }, `drillbook: ${join(root, 'nope')} is not a bundle folder\n`],
      [bundle, { key: [join(root, 'missing.pub')] }, `drillbook: cannot read key file ${join(root, 'missing.pub')}: ENOENT`],
      [bundle, { key: [alice.pub], threshold: '1.5' }, 'drillbook: --threshold must be a whole number of keys, got "1.5"\n'],
    ];
    for (const [dir, flags, message] of cases) {
      const io = captureIo();
      expect(await verifyCommand(dir, flags, io)).toBe(2);
      expect(io.err.startsWith(message)).toBe(true);
    }
  });

  it('sign adds a sign-off that verify counts with its role; it refuses a bundle that does not verify', async () => {
    const alice = await generate('alice');
    const bob = await generate('bob');
    await sealedBundle(bundle, { signingKey: alice.key });
    const signed = captureIo();
    expect(await signCommand(bundle, { key: bob.key, role: 'approver' }, signed)).toBe(0);
    expect(signed.out).toBe(`signed ${bundle} as approver with key ${bob.keyid}: signatures/${bob.keyid}.dsse.json\n`);
    const io = captureIo();
    expect(await verifyCommand(bundle, { key: [alice.pub, bob.pub], threshold: '2' }, io)).toBe(0);
    expect(io.out).toContain(`         approver: key ${bob.keyid} (signatures/${bob.keyid}.dsse.json, pinned as ${bob.pub})\n`);

    const again = captureIo();
    expect(await signCommand(bundle, { key: bob.key }, again)).toBe(2);
    expect(again.err).toContain('has already signed this bundle');

    writeFileSync(join(bundle, 'scenario.yaml'), 'edited');
    const refused = captureIo();
    expect(await signCommand(bundle, { key: alice.key }, refused)).toBe(3);
    expect(refused.err).toMatch(/^drillbook: refusing to sign .+: every subject file has the SHA-256 the Statement gives: scenario\.yaml: SHA-256 is [0-9a-f]{64}, the Statement says [0-9a-f]{64}\n$/);
  });

  it('report re-renders a verified bundle in every format, with payload hash and signers', async () => {
    const alice = await generate('alice');
    await sealedBundle(bundle, { signingKey: alice.key });
    const outputs: Record<string, string> = {};
    for (const format of ['html', 'json', 'junit', 'md']) {
      const io = captureIo();
      expect(await reportCommand(bundle, { key: [alice.pub], format }, io)).toBe(0);
      outputs[format] = io.out;
    }
    const payload = execFileSync('sha256sum', [join(bundle, 'record.json')], { encoding: 'utf8' }).slice(0, 64);
    expect(outputs.html).toContain(`SHA-256 <code class="digest">${payload}</code> (threshold 1)`);
    expect(outputs.html).toContain(`sealed: key <code class="digest">${alice.keyid}</code>`);
    expect(outputs.md).toContain(`- Verified payload (record.json) SHA-256 \`${payload}\`, threshold 1`);
    expect(outputs.md).toContain(`- Signed (sealed) by key \`${alice.keyid}\` in \`record.dsse.json\``);
    expect(outputs.junit).toBe(readFileSync(join(bundle, 'junit.xml'), 'utf8'));
    const json = JSON.parse(outputs.json!) as { verification: { ok: boolean; payloadSha256: string }; statement: { predicate: { runId: string } } };
    expect([json.verification.ok, json.verification.payloadSha256, json.statement.predicate.runId]).toEqual([true, payload, '20261128T100000Z-4f2a']);

    const out = join(root, 'report.md');
    expect(await reportCommand(bundle, { key: [alice.pub], format: 'md', out }, captureIo())).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(outputs.md);
  });

  it('report renders nothing for a bundle that does not verify (3) and rejects an unknown format (2)', async () => {
    const alice = await generate('alice');
    const mallory = await generate('mallory');
    await sealedBundle(bundle, { signingKey: alice.key });
    const io = captureIo();
    expect(await reportCommand(bundle, { key: [mallory.pub] }, io)).toBe(3);
    expect(io.out).toBe('');
    expect(io.err).toBe(`drillbook: ${bundle} does not verify, nothing rendered: enough distinct pinned keys signed: 0 distinct pinned key(s) signed, 1 required\n  hint: \`drillbook verify ${bundle} --key …\` lists every check\n`);
    const format = captureIo();
    expect(await reportCommand(bundle, { key: [alice.pub], format: 'pdf' }, format)).toBe(2);
    expect(format.err).toBe('drillbook: --format must be one of html, json, junit, md, got "pdf"\n');
  });
});
