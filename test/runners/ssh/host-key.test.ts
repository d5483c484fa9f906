import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fingerprintOf, keyTypeOf } from '../../../runners/ssh/fingerprint.js';
import { prepareHostKeyCheck } from '../../../runners/ssh/host-key.js';
import { entryMatches, knownHostsName, parseKnownHosts } from '../../../runners/ssh/known-hosts.js';

const dir = mkdtempSync(join(tmpdir(), 'drillbook-hostkey-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function keyPair(name: string, type = 'ed25519'): { blob: Buffer; line: string; fingerprint: string } {
  const path = join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-f', path]);
  const line = readFileSync(`${path}.pub`, 'utf8').trim();
  const fingerprint = execFileSync('ssh-keygen', ['-lf', `${path}.pub`], { encoding: 'utf8' }).split(' ')[1] ?? '';
  return { blob: Buffer.from(line.split(' ')[1] ?? '', 'base64'), line, fingerprint };
}

const first = keyPair('first');
const second = keyPair('second');
const rsa = keyPair('rsa', 'rsa');
const subject = { label: 'db1', hostname: '10.0.0.5', port: 2222 };

describe('fingerprints', () => {
  it('match what ssh-keygen -lf prints', () => {
    expect(fingerprintOf(first.blob)).toBe(first.fingerprint);
    expect(fingerprintOf(rsa.blob)).toBe(rsa.fingerprint);
    expect(keyTypeOf(first.blob)).toBe('ssh-ed25519');
    expect(keyTypeOf(rsa.blob)).toBe('ssh-rsa');
  });
});

describe('known_hosts entries', () => {
  const [type, base64] = first.line.split(' ');
  const text = [
    '# comment',
    `db1.example,10.0.0.5 ${type} ${base64}`,
    `[10.0.0.5]:2222 ${type} ${base64}`,
    `*.lab,!bad.lab ${type} ${base64}`,
    `@revoked evil.example ${type} ${base64}`,
    'garbage',
  ].join('\n');
  const entries = parseKnownHosts(text, 'kh');

  it('parses markers, patterns and line numbers, skipping malformed lines', () => {
    expect(entries.map((e) => [e.line, e.patterns, e.marker ?? ''])).toEqual([
      [2, 'db1.example,10.0.0.5', ''],
      [3, '[10.0.0.5]:2222', ''],
      [4, '*.lab,!bad.lab', ''],
      [5, 'evil.example', 'revoked'],
    ]);
  });

  it('matches names, ports, wildcards and negations as OpenSSH does', () => {
    const matching = (name: string): number[] => entries.filter((e) => entryMatches(e, name)).map((e) => e.line);
    expect(knownHostsName('10.0.0.5', 22)).toBe('10.0.0.5');
    expect(knownHostsName('10.0.0.5', 2222)).toBe('[10.0.0.5]:2222');
    expect(matching('10.0.0.5')).toEqual([2]);
    expect(matching('[10.0.0.5]:2222')).toEqual([3]);
    expect(matching('DB1.example')).toEqual([2]);
    expect(matching('a.lab')).toEqual([4]);
    expect(matching('bad.lab')).toEqual([]);
  });

  it('matches hashed entries written by ssh-keygen -H', () => {
    const file = join(dir, 'hashed');
    writeFileSync(file, `[10.0.0.5]:2222 ${first.line.split(' ').slice(0, 2).join(' ')}\n`);
    execFileSync('ssh-keygen', ['-q', '-H', '-f', file], { stdio: 'ignore' });
    const [entry] = parseKnownHosts(readFileSync(file, 'utf8'), file);
    expect(entry?.patterns.startsWith('|1|')).toBe(true);
    expect(entry && entryMatches(entry, '[10.0.0.5]:2222')).toBe(true);
    expect(entry && entryMatches(entry, '10.0.0.5')).toBe(false);
  });
});

describe('host key checks', () => {
  it('accepts a pinned key and records it', async () => {
    const check = await prepareHostKeyCheck({ kind: 'pins', fingerprints: [second.fingerprint, first.fingerprint] }, subject);
    expect(check.verify(first.blob)).toBe(true);
    expect(check.seen).toEqual({ host: 'db1', address: '10.0.0.5:2222', type: 'ssh-ed25519', fingerprint: first.fingerprint, verifiedBy: 'pinned' });
  });

  it('refuses a key that is not pinned, naming the host and both fingerprints', async () => {
    const check = await prepareHostKeyCheck({ kind: 'pins', fingerprints: [first.fingerprint] }, subject);
    expect(check.verify(second.blob)).toBe(false);
    expect(check.rejection?.code).toBe('HOST_KEY_MISMATCH');
    expect(check.rejection?.message).toBe(
      `host key mismatch: db1 (10.0.0.5:2222) presented ssh-ed25519 key ${second.fingerprint}, but hostKey pins ${first.fingerprint}` +
        ' (if the host was rebuilt, check its new key out of band before changing the pin); the connection was closed before authentication',
    );
    expect(check.seen?.verifiedBy).toBe('refused');
  });

  it('uses known_hosts: match, mismatch, unknown, revoked, and prefers the listed key type', async () => {
    const file = join(dir, 'known');
    writeFileSync(file, `[10.0.0.5]:2222 ${first.line}\n@revoked [10.0.0.5]:2222 ${rsa.line}\n`);
    const policy = { kind: 'known-hosts' as const, files: [{ path: file, required: true }] };
    const check = await prepareHostKeyCheck(policy, subject);
    expect(check.algorithms?.[0]).toBe('ssh-ed25519');
    expect(check.verify(first.blob)).toBe(true);
    expect(check.seen?.verifiedBy).toBe(`known_hosts ${file}:1`);

    const mismatch = await prepareHostKeyCheck(policy, subject);
    expect(mismatch.verify(second.blob)).toBe(false);
    expect(mismatch.rejection?.code).toBe('HOST_KEY_MISMATCH');
    expect(mismatch.rejection?.message).toContain(`presented ssh-ed25519 key ${second.fingerprint}, but known_hosts has ssh-ed25519 ${first.fingerprint} (${file}:1)`);

    const revoked = await prepareHostKeyCheck(policy, subject);
    expect(revoked.verify(rsa.blob)).toBe(false);
    expect(revoked.rejection?.code).toBe('HOST_KEY_REVOKED');

    const unknown = await prepareHostKeyCheck(policy, { ...subject, port: 22 });
    expect(unknown.verify(first.blob)).toBe(false);
    expect(unknown.rejection?.code).toBe('HOST_KEY_UNKNOWN');
    expect(unknown.rejection?.message).toContain(`has no entry for 10.0.0.5; check the key out of band, then pin it with hostKey: "${first.fingerprint}"`);
  });

  it('fails clearly when a named known_hosts file is missing, but not a default one', async () => {
    const missing = join(dir, 'nope');
    await expect(prepareHostKeyCheck({ kind: 'known-hosts', files: [{ path: missing, required: true }] }, subject)).rejects.toMatchObject({
      code: 'SSH_CONFIG',
      message: expect.stringContaining(`cannot read known_hosts file ${missing} for db1`) as unknown,
    });
    const lenient = await prepareHostKeyCheck({ kind: 'known-hosts', files: [{ path: missing, required: false }] }, subject);
    expect(lenient.verify(first.blob)).toBe(false);
    expect(lenient.rejection?.code).toBe('HOST_KEY_UNKNOWN');
  });
});
