import { createPublicKey, verify } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isDrillbookError } from '../../src/errors.js';
import { pae } from '../../src/evidence/dsse.js';
import { reopenJournal } from '../../src/evidence/journal.js';
import { generateKeyPair, parseSigningKey } from '../../src/evidence/keys.js';
import { sealBundle } from '../../src/evidence/seal.js';
import { predicateType, type InTotoStatement } from '../../src/evidence/statement.js';
import { sampleRecord, sha256, writeBundleFiles } from './fixtures.js';

const pair = generateKeyPair();
const key = parseSigningKey(pair.privateKeyPem, 'test.key');
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'drillbook-seal-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const read = (name: string) => readFileSync(join(dir, name));

async function caught(promise: Promise<unknown>): Promise<{ code: string; shortMessage: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    expect(isDrillbookError(error)).toBe(true);
    return error as { code: string; shortMessage: string; message: string };
  }
  throw new Error('expected a rejection');
}

describe('sealBundle', () => {
  it('writes the Statement with every other file as a sorted subject, and a DSSE envelope over its exact bytes', async () => {
    const record = writeBundleFiles(dir);
    const result = await sealBundle(dir, record, { signingKey: key.privateKey, previousRecordSha256: 'a'.repeat(64) });
    expect(result).toMatchObject({ sealed: true, keyid: key.keyid, recordSha256: sha256(read('record.json')) });

    const statement = JSON.parse(read('record.json').toString()) as InTotoStatement;
    expect(statement._type).toBe('https://in-toto.io/Statement/v1');
    expect(statement.predicateType).toBe(predicateType);
    expect(statement.predicate).toEqual({ ...record, previousRecordSha256: 'a'.repeat(64) });
    expect(statement.subject.map((s) => s.name)).toEqual([
      'journal.jsonl',
      'junit.xml',
      'logs/disaster.1.stdout.log',
      'logs/promote.1.stdout.log',
      'logs/promote.2.stdout.log',
      'report.html',
      'scenario.yaml',
    ]);
    for (const s of statement.subject) expect(s.digest.sha256).toBe(sha256(read(s.name)));
    expect(read('record.json').toString().endsWith('}\n')).toBe(true);

    const envelope = JSON.parse(read('record.dsse.json').toString()) as { payloadType: string; payload: string; signatures: { keyid: string; sig: string }[] };
    expect(envelope.payloadType).toBe('application/vnd.in-toto+json');
    expect(Buffer.from(envelope.payload, 'base64').equals(read('record.json'))).toBe(true);
    expect(envelope.signatures).toHaveLength(1);
    expect(envelope.signatures[0]?.keyid).toBe(key.keyid);
    const signed = pae(envelope.payloadType, read('record.json'));
    expect(verify(null, signed, createPublicKey(pair.publicKeyPem), Buffer.from(envelope.signatures[0]!.sig, 'base64'))).toBe(true);
  });

  it('renders junit.xml and report.html from the record', async () => {
    const record = writeBundleFiles(dir);
    await sealBundle(dir, record, { signingKey: key.privateKey });
    expect(read('junit.xml').toString()).toContain('<testsuite name="pg-failover.steps"');
    expect(read('report.html').toString()).toContain(key.keyid);
  });

  it('is deterministic: sealing the same bundle twice gives the same record.json', async () => {
    const record = writeBundleFiles(dir);
    await sealBundle(dir, record, {});
    const first = read('record.json');
    await sealBundle(dir, record, {});
    expect(read('record.json').equals(first)).toBe(true);
  });

  it('seals unsigned without a key, and removes an envelope left by an earlier sealing', async () => {
    const record = writeBundleFiles(dir);
    await sealBundle(dir, record, { signingKey: key.privateKey });
    const result = await sealBundle(dir, record, {});
    expect(result).toMatchObject({ sealed: true });
    expect(result.sealed && result.keyid).toBe(undefined);
    expect(existsSync(join(dir, 'record.dsse.json'))).toBe(false);
  });

  it('signs nothing and writes nothing when a declared secret occurs in a file, naming the file and offset', async () => {
    const record = writeBundleFiles(dir, sampleRecord(), { 'logs/leak.log': 'connecting with password hunter2-xyz\n' });
    const result = await sealBundle(dir, record, { signingKey: key.privateKey, secrets: ['', 'not-there', 'hunter2-xyz'] });
    expect(result).toEqual({
      sealed: false,
      reason: 'secret-found',
      file: 'logs/leak.log',
      offset: 25,
      secretIndex: 2,
      message: 'declared secret #3 occurs in logs/leak.log at byte 25: nothing was signed',
    });
    expect(readdirSync(dir).sort()).toEqual(['journal.jsonl', 'logs', 'scenario.yaml']);
  });

  it('finds a secret that straddles two 1 MiB reads', async () => {
    const big = Buffer.alloc((1 << 20) + 100, 0x61);
    Buffer.from('s3cr3t-token').copy(big, (1 << 20) - 5);
    const record = writeBundleFiles(dir, sampleRecord(), { 'logs/big.log': big });
    const result = await sealBundle(dir, record, { secrets: ['s3cr3t-token'] });
    expect(result).toMatchObject({ sealed: false, file: 'logs/big.log', offset: (1 << 20) - 5 });
  });

  it('refuses to write a secret that only the record carries (into the rendered report)', async () => {
    const record = writeBundleFiles(dir, { ...sampleRecord(), vars: { token: 'tok-42-secret' } });
    const result = await sealBundle(dir, record, { secrets: ['tok-42-secret'] });
    expect(result).toMatchObject({ sealed: false, file: 'report.html' });
    expect(existsSync(join(dir, 'record.json'))).toBe(false);
  });

  describe('refuses every form of a secret, not only the text as written', () => {
    // Quote and backslash: JSON writes them escaped, HTML writes the quote as &quot;, so the text as
    // written occurs nowhere and a search for it alone let such bundles be signed.
    const secret = 'tok"en\\42-secret';

    it('JSON-escaped in journal.jsonl', async () => {
      const record = writeBundleFiles(dir);
      const journal = reopenJournal(join(dir, 'journal.jsonl'));
      journal.append('attempt.note', { message: `login with ${secret} refused` }, record.finishedAt);
      journal.close();
      const result = await sealBundle(dir, { ...record, journal: { ...record.journal, entries: journal.count, headSha256: journal.head } }, { signingKey: key.privateKey, secrets: [secret] });
      const lines = read('journal.jsonl').toString().split('\n');
      const offset = read('journal.jsonl').length - Buffer.byteLength(lines.at(-2)!) - 1 + lines.at(-2)!.indexOf('tok\\"en');
      expect(result).toEqual({
        sealed: false,
        reason: 'secret-found',
        file: 'journal.jsonl',
        offset,
        secretIndex: 0,
        message: `declared secret #1 occurs in journal.jsonl at byte ${offset}: nothing was signed`,
      });
      expect(existsSync(join(dir, 'record.json'))).toBe(false);
      expect(existsSync(join(dir, 'record.dsse.json'))).toBe(false);
    });

    it('JSON-escaped in what record.json would hold (attempt details are not rendered into the reports)', async () => {
      const base = sampleRecord();
      const steps = base.steps.map((s) => (s.id === 'service-back' ? { ...s, attempts: s.attempts.map((a) => ({ ...a, details: { header: secret } })) } : s));
      const record = writeBundleFiles(dir, { ...base, steps });
      const result = await sealBundle(dir, record, { signingKey: key.privateKey, secrets: ['', secret] });
      expect(result).toMatchObject({ sealed: false, file: 'record.json', secretIndex: 1 });
      expect(readdirSync(dir).sort()).toEqual(['journal.jsonl', 'logs', 'scenario.yaml']);
    });

    it('HTML-escaped in report.html', async () => {
      const record = writeBundleFiles(dir, { ...sampleRecord(), vars: { token: secret } });
      const result = await sealBundle(dir, record, { secrets: [secret] });
      expect(result).toMatchObject({ sealed: false, file: 'report.html' });
    });

    it('base64-encoded in a log, past the first 1 MiB read', async () => {
      const big = Buffer.alloc((1 << 20) + 200, 0x2e);
      const line = `Authorization: Basic ${Buffer.from(`svc:${secret}`).toString('base64')}\n`;
      Buffer.from(line).copy(big, (1 << 20) - 30);
      const record = writeBundleFiles(dir, sampleRecord(), { 'logs/http.log': big });
      const result = await sealBundle(dir, record, { secrets: [secret] });
      // 'svc:' is 4 bytes: 'c3Zj' encodes 3 of them, the next 2 characters the 4th as well, so the part
      // that only the secret determines starts 6 characters after 'Basic '.
      expect(result).toMatchObject({ sealed: false, file: 'logs/http.log', offset: (1 << 20) - 30 + 'Authorization: Basic '.length + 6 });
    });

    it('percent-encoded in a URL, and upper-cased', async () => {
      for (const [text, file] of [
        [`GET https://h.example/hook?token=${encodeURIComponent(secret)}\n`, 'logs/url.log'],
        [`${secret.toUpperCase()}\n`, 'logs/shout.log'],
      ] as const) {
        rmSync(dir, { recursive: true, force: true });
        const record = writeBundleFiles(dir, sampleRecord(), { [file]: text });
        expect(await sealBundle(dir, record, { secrets: [secret] })).toMatchObject({ sealed: false, file });
      }
    });
  });

  it('refuses a malformed record, listing the bad fields', async () => {
    const record = writeBundleFiles(dir);
    const error = await caught(sealBundle(dir, { ...record, startedAt: 'yesterday' }, {}));
    expect(error.code).toBe('EVIDENCE');
    expect(error.shortMessage).toBe('cannot seal: the run record is malformed');
    expect(error.message).toContain('  startedAt: Invalid ISO datetime');
  });

  it('refuses a record that disagrees with its journal', async () => {
    const record = writeBundleFiles(dir);
    const error = await caught(sealBundle(dir, { ...record, verdict: 'FAIL', journal: { ...record.journal, entries: 99 } }, {}));
    expect(error.shortMessage).toBe('cannot seal: the record and journal journal.jsonl disagree');
    expect(error.message.split('\n').slice(1)).toEqual([`  ${record.journal.entries} entries, the record says 99`, '  verdict: record says FAIL, journal says PASS']);
  });

  it('refuses a bundle holding a symbolic link', async () => {
    const record = writeBundleFiles(dir);
    symlinkSync('/etc/hostname', join(dir, 'logs', 'link.log'));
    const error = await caught(sealBundle(dir, record, {}));
    expect(error.message).toContain('logs/link.log: not a regular file (symbolic link)');
  });

  it('refuses a signing key file that is not a PEM private key', async () => {
    const record = writeBundleFiles(dir);
    const error = await caught(sealBundle(dir, record, { signingKey: join(dir, 'scenario.yaml') }));
    expect(error.shortMessage).toBe(`${join(dir, 'scenario.yaml')} is not a PEM private key`);
  });
});
