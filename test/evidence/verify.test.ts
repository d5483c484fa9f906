import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync, appendFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { serializeEnvelope, signEnvelope } from '../../src/evidence/dsse.js';
import { reopenJournal } from '../../src/evidence/journal.js';
import { signOffBundle } from '../../src/evidence/sign-off.js';
import { buildStatement, serializeStatement, type InTotoStatement } from '../../src/evidence/statement.js';
import { verifyBundle, type VerifyReport } from '../../src/evidence/verify.js';
import { sampleRecord, sealedBundle, sha256, testKeys, writeBundleFiles } from './fixtures.js';
import { sealBundle } from '../../src/evidence/seal.js';

const operator = testKeys();
const reviewer = testKeys();
const stranger = testKeys();
let root: string;
let dir: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'drillbook-verify-'));
  dir = join(root, 'run-2');
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const statuses = (report: VerifyReport) => Object.fromEntries(report.checks.map((c) => [c.id, c.status]));
const failure = (report: VerifyReport) => ({ id: report.firstFailure?.id, details: report.firstFailure?.details });

describe('verifyBundle', () => {
  it('passes a signed bundle, listing every check and the signer', async () => {
    const sealed = await sealedBundle(dir, { signingKey: operator.signing.privateKey });
    const report = await verifyBundle(dir, { keys: [operator.trusted] });
    expect(report.ok).toBe(true);
    expect(statuses(report)).toEqual({
      record: 'passed',
      envelope: 'passed',
      signatures: 'passed',
      threshold: 'passed',
      subjects: 'passed',
      coverage: 'passed',
      journal: 'passed',
      consistency: 'passed',
      answers: 'skipped',
      approvals: 'skipped',
      previous: 'skipped',
    });
    expect(report.payloadSha256).toBe(sealed.recordSha256);
    expect(report.signers).toEqual([{ keyid: operator.signing.keyid, role: 'sealed', file: 'record.dsse.json', keySource: 'test.pub' }]);
    expect(report.checks.find((c) => c.id === 'subjects')?.details[0]).toMatch(/^7 files, \d+ bytes$/);
  });

  it('counts a reviewer sign-off with its signed role towards the threshold', async () => {
    await sealedBundle(dir, { signingKey: operator.signing.privateKey });
    const { file } = await signOffBundle(dir, reviewer.signing, { role: 'reviewer', at: '2026-11-29T09:00:00.000Z' });
    expect(file).toBe(`signatures/${reviewer.signing.keyid}.dsse.json`);
    const both = await verifyBundle(dir, { keys: [operator.trusted, reviewer.trusted], threshold: 2 });
    expect(both.ok).toBe(true);
    expect(both.signers.map((s) => [s.role, s.keyid, s.signedAt])).toEqual([
      ['sealed', operator.signing.keyid, undefined],
      ['reviewer', reviewer.signing.keyid, '2026-11-29T09:00:00.000Z'],
    ]);
    const one = await verifyBundle(dir, { keys: [operator.trusted], threshold: 2 });
    expect(failure(one)).toEqual({ id: 'threshold', details: ['1 distinct pinned key(s) signed, 2 required'] });
    expect(one.untrusted).toEqual([{ file, keyid: reviewer.signing.keyid }]);
  });

  it('refuses a second sign-off by the same key and a role that is not a word', async () => {
    await sealedBundle(dir, { signingKey: operator.signing.privateKey });
    await signOffBundle(dir, reviewer.signing, { role: 'reviewer' });
    await expect(signOffBundle(dir, reviewer.signing, { role: 'approver' })).rejects.toThrow(`has already signed this bundle`);
    await expect(signOffBundle(dir, stranger.signing, { role: 'Big Boss' })).rejects.toThrow('role "Big Boss" is not a short lowercase word');
  });

  it('detects a sign-off whose role was edited', async () => {
    await sealedBundle(dir, { signingKey: operator.signing.privateKey });
    const { file } = await signOffBundle(dir, reviewer.signing, { role: 'reviewer' });
    const signOff = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { signOff: { payload: string } };
    const claim = JSON.parse(Buffer.from(signOff.signOff.payload, 'base64').toString()) as Record<string, string>;
    signOff.signOff.payload = Buffer.from(JSON.stringify({ ...claim, role: 'approver' })).toString('base64');
    writeFileSync(join(dir, file), serializeEnvelope(signOff));
    const report = await verifyBundle(dir, { keys: [operator.trusted, reviewer.trusted] });
    expect(failure(report)).toEqual({ id: 'signatures', details: [`${file}: signOff signature does not verify: the role was changed`] });
  });

  it('fails an unsigned bundle unless the threshold is 0', async () => {
    await sealedBundle(dir);
    const signed = await verifyBundle(dir, { keys: [operator.trusted] });
    expect(failure(signed)).toEqual({ id: 'envelope', details: ['record.dsse.json is missing: the bundle was sealed unsigned'] });
    const integrity = await verifyBundle(dir, { threshold: 0 });
    expect(integrity.ok).toBe(true);
    expect(statuses(integrity)).toMatchObject({ envelope: 'skipped', signatures: 'skipped', threshold: 'passed', subjects: 'passed' });
  });

  it('fails without pinned keys', async () => {
    await sealedBundle(dir, { signingKey: operator.signing.privateKey });
    const report = await verifyBundle(dir, {});
    expect(failure(report)).toEqual({ id: 'threshold', details: ['no pinned keys were given: signatures cannot be trusted without them'] });
  });

  it('detects a swapped key: verified against another key, or re-signed by another key', async () => {
    await sealedBundle(dir, { signingKey: operator.signing.privateKey });
    const other = await verifyBundle(dir, { keys: [stranger.trusted] });
    expect(failure(other).id).toBe('threshold');
    expect(other.untrusted).toEqual([{ file: 'record.dsse.json', keyid: operator.signing.keyid }]);

    const payload = readFileSync(join(dir, 'record.json'));
    const forged = signEnvelope('application/vnd.in-toto+json', payload, stranger.signing);
    writeFileSync(join(dir, 'record.dsse.json'), serializeEnvelope({ ...forged, signatures: [{ ...forged.signatures[0]!, keyid: operator.signing.keyid }] }));
    const report = await verifyBundle(dir, { keys: [operator.trusted] });
    expect(failure(report)).toEqual({ id: 'signatures', details: [`record.dsse.json: signature does not verify with pinned key ${operator.signing.keyid}`] });
  });

  it('detects a replaced payloadType, with or without a fresh signature by the pinned key', async () => {
    await sealedBundle(dir, { signingKey: operator.signing.privateKey });
    const envelope = JSON.parse(readFileSync(join(dir, 'record.dsse.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(dir, 'record.dsse.json'), serializeEnvelope({ ...envelope, payloadType: 'application/json' }));
    const edited = await verifyBundle(dir, { keys: [operator.trusted] });
    expect(failure(edited)).toEqual({ id: 'envelope', details: ['payloadType is "application/json", expected application/vnd.in-toto+json'] });

    writeFileSync(join(dir, 'record.dsse.json'), serializeEnvelope(signEnvelope('application/json', readFileSync(join(dir, 'record.json')), operator.signing)));
    const resigned = await verifyBundle(dir, { keys: [operator.trusted] });
    expect(failure(resigned).id).toBe('envelope');
    expect(resigned.signers).toEqual([]);
  });

  it('chains to the previous record and detects an older record replayed as the newest', async () => {
    const first = join(root, 'run-1');
    const one = await sealedBundle(first, { signingKey: operator.signing.privateKey });
    const later = { ...sampleRecord(), runId: 'run-2', startedAt: '2026-11-29T10:00:00.000Z', finishedAt: '2026-11-29T10:00:16.000Z' };
    await sealedBundle(dir, { signingKey: operator.signing.privateKey, previousRecordSha256: one.recordSha256 }, { ...later, marks: {}, steps: later.steps.map((s) => ({ ...s, marks: [] })) });
    expect((await verifyBundle(dir, { keys: [operator.trusted], previous: first })).ok).toBe(true);

    const replayed = await verifyBundle(first, { keys: [operator.trusted], previous: dir });
    expect(failure(replayed).id).toBe('previous');
    expect(replayed.firstFailure?.details).toEqual([
      `the record names no previous record, but ${dir} was given (SHA-256 ${sha256(readFileSync(join(dir, 'record.json')))})`,
      `previous run finished at 2026-11-29T10:00:16.000Z, after this run started (2026-11-28T10:00:00.000Z)`,
    ]);

    // The older record and envelope copied over the newer bundle: still signed, but not these files.
    cpSync(join(first, 'record.json'), join(dir, 'record.json'));
    cpSync(join(first, 'record.dsse.json'), join(dir, 'record.dsse.json'));
    const swapped = await verifyBundle(dir, { keys: [operator.trusted] });
    expect(failure(swapped).id).toBe('subjects');
  });

  it('names files no subject covers, including stray files under signatures/', async () => {
    await sealedBundle(dir, { signingKey: operator.signing.privateKey });
    writeFileSync(join(dir, 'logs', 'late.log'), 'added after sealing\n');
    mkdirSync(join(dir, 'signatures'));
    writeFileSync(join(dir, 'signatures', 'notes.txt'), 'x');
    const report = await verifyBundle(dir, { keys: [operator.trusted] });
    expect(failure(report)).toEqual({
      id: 'coverage',
      details: ['logs/late.log: not covered by any subject', 'signatures/notes.txt: not a sign-off file (signatures/<keyid>.dsse.json) and not covered'],
    });
  });

  it('detects reordered and dropped journal lines even when the bundle is re-sealed around them', async () => {
    const record = writeBundleFiles(dir);
    const journal = join(dir, 'journal.jsonl');
    const lines = readFileSync(journal, 'utf8').split('\n').slice(0, -1);
    const swap = [...lines];
    [swap[3], swap[4]] = [swap[4]!, swap[3]!];
    writeFileSync(journal, `${swap.join('\n')}\n`);
    // An attacker without the key can at most re-seal unsigned: sealing itself refuses the broken chain.
    await expect(sealBundle(dir, record, {})).rejects.toThrow('cannot seal: the record and journal journal.jsonl disagree');
    writeFileSync(join(dir, 'record.json'), serializeStatement(buildStatement(record, [{ name: 'journal.jsonl', digest: { sha256: sha256(readFileSync(journal)) } }])));
    rmSync(join(dir, 'logs'), { recursive: true });
    rmSync(join(dir, 'scenario.yaml'));
    const reordered = await verifyBundle(dir, { threshold: 0 });
    expect(failure(reordered)).toEqual({
      id: 'journal',
      details: [
        'line 4: prev does not match the SHA-256 of line 3',
        'line 4: seq 5, expected 4',
        'line 5: prev does not match the SHA-256 of line 4',
        'line 5: seq 4, expected 6',
        'line 6: prev does not match the SHA-256 of line 5',
        'line 6: seq 6, expected 5',
      ],
    });

    writeFileSync(journal, `${lines.slice(0, -1).join('\n')}\n`);
    writeFileSync(join(dir, 'record.json'), serializeStatement(buildStatement(record, [{ name: 'journal.jsonl', digest: { sha256: sha256(readFileSync(journal)) } }])));
    const dropped = await verifyBundle(dir, { threshold: 0 });
    expect(failure(dropped)).toEqual({
      id: 'journal',
      details: [`head is ${sha256(lines[lines.length - 2]!)}, the record says ${record.journal.headSha256}`, `${lines.length - 1} entries, the record says ${lines.length}`],
    });
    // The logs were removed above: the record still names them with their digests.
    expect(dropped.checks.find((c) => c.id === 'consistency')?.details).toEqual([
      'the journal has no run.finished entry: the run never finished (or the journal is cut short)',
      'logs/disaster.1.stdout.log: the record names it, the bundle does not have it',
      'logs/promote.1.stdout.log: the record names it, the bundle does not have it',
      'logs/promote.2.stdout.log: the record names it, the bundle does not have it',
    ]);
  });

  it('detects a signed record whose steps or verdict disagree with the journal', async () => {
    const record = writeBundleFiles(dir);
    const forged = { ...record, verdict: 'PASS' as const, steps: record.steps.map((s) => (s.id === 'promote' ? { ...s, attempts: s.attempts.slice(1) } : s)) };
    forged.cleanup = [{ ...record.cleanup[0]!, status: 'failed' }];
    const sealed = await sealBundle(dir, record, { signingKey: operator.signing.privateKey });
    expect(sealed.sealed).toBe(true);
    // Someone holding the key signs a record that tells another story than the journal.
    const statement = JSON.parse(readFileSync(join(dir, 'record.json'), 'utf8')) as InTotoStatement;
    const payload = serializeStatement(buildStatement(forged, statement.subject));
    writeFileSync(join(dir, 'record.json'), payload);
    writeFileSync(join(dir, 'record.dsse.json'), serializeEnvelope(signEnvelope('application/vnd.in-toto+json', Buffer.from(payload), operator.signing)));
    const report = await verifyBundle(dir, { keys: [operator.trusted] });
    expect(failure(report)).toEqual({ id: 'consistency', details: ['step failback: record says failed, journal says passed'] });
  });

  it('verifies a recovered bundle whose journal kept a torn line', async () => {
    const record = writeBundleFiles(dir);
    const journalFile = join(dir, 'journal.jsonl');
    const lines = readFileSync(journalFile, 'utf8').split('\n').slice(0, -1);
    writeFileSync(journalFile, `${lines.slice(0, -1).join('\n')}\n{"seq":99,"at":"20`);
    const journal = reopenJournal(journalFile);
    journal.append('run.finished', { verdict: record.verdict, endReason: record.endReason }, record.finishedAt);
    journal.close();
    const sealed = await sealBundle(dir, { ...record, journal: { file: 'journal.jsonl', entries: journal.count, headSha256: journal.head } }, { signingKey: operator.signing.privateKey });
    expect(sealed.sealed).toBe(true);
    const report = await verifyBundle(dir, { keys: [operator.trusted] });
    expect(report.ok).toBe(true);
    expect(report.checks.find((c) => c.id === 'journal')?.details[1]).toBe(`torn line(s) ${lines.length} recorded by journal.torn-line entries`);
  });

  it('reports a missing record and skips what depends on it', async () => {
    mkdirSync(dir);
    appendFileSync(join(dir, 'stray.txt'), 'x');
    const report = await verifyBundle(dir, { keys: [operator.trusted] });
    expect(failure(report)).toEqual({ id: 'record', details: ['record.json is missing'] });
    expect(statuses(report)).toMatchObject({ subjects: 'skipped', coverage: 'skipped', journal: 'skipped', consistency: 'skipped', previous: 'skipped' });
  });
});
