/** History read from a real evidence store: bundles sealed by the evidence code, verified against pinned keys. */
import { appendFileSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLocalStore } from '../../src/register/local-store.js';
import { readRuns } from '../../src/register/read-history.js';
import { createFileIndex, verifyIndexKey } from '../../src/register/verify-index.js';
import { testKeys } from '../evidence/fixtures.js';
import { runIdAt, storeBundle } from './bundles.js';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'drillbook-history-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('readRuns', () => {
  it('verifies each bundle against the trusted keys and says how far each can be trusted', async () => {
    const ours = testKeys();
    const theirs = testKeys();
    await storeBundle(root, { startedAt: '2026-01-05T03:00:00.000Z', signingKey: ours.signing.privateKey });
    await storeBundle(root, { startedAt: '2026-02-02T03:00:00.000Z', signingKey: theirs.signing.privateKey });
    await storeBundle(root, { startedAt: '2026-03-02T03:00:00.000Z' });
    const { dir } = await storeBundle(root, { startedAt: '2026-04-06T03:00:00.000Z', signingKey: ours.signing.privateKey, verdict: 'FAIL', rto: { status: 'missed', achievedMs: 45_000 } });
    appendFileSync(join(dir, 'junit.xml'), ' ');
    await storeBundle(root, { startedAt: '2026-05-04T03:00:00.000Z', signingKey: ours.signing.privateKey, scenarioId: 'other', folder: runIdAt('2026-05-04T03:00:00.000Z') });
    // A record of "other" filed under pg-failover: evidence cannot be moved between scenarios.
    const moved = await storeBundle(root, { startedAt: '2026-05-11T03:00:00.000Z', signingKey: ours.signing.privateKey, scenarioId: 'other' });
    renameSync(moved.dir, join(root, 'pg-failover', runIdAt('2026-05-11T03:00:00.000Z')));
    // An unfinished run: a journal, no record.
    mkdirSync(join(root, 'pg-failover', '20260601T030000Z-ffffff'));
    writeFileSync(join(root, 'pg-failover', '20260601T030000Z-ffffff', 'journal.jsonl'), '');

    const store = createLocalStore(root, 'reports');
    expect(await store.listScenarioIds()).toEqual(['other', 'pg-failover']);
    const runs = await readRuns(store, 'pg-failover', { keys: [ours.trusted], mode: 'verified' });
    expect(runs.map((r) => [r.runId, r.verdict, r.verification])).toEqual([
      ['20260105T030000Z-a1b2c3', 'PASS', 'verified'],
      ['20260202T030000Z-a1b2c3', 'PASS', 'untrusted'],
      ['20260302T030000Z-a1b2c3', 'PASS', 'untrusted'],
      ['20260406T030000Z-a1b2c3', 'FAIL', 'invalid'],
      ['20260511T030000Z-a1b2c3', 'PASS', 'invalid'],
      ['20260601T030000Z-ffffff', undefined, 'unfinished'],
    ]);
    const [first, second, unsigned, tampered, misfiled, unfinished] = runs;
    expect(first).toMatchObject({ bundle: 'reports/pg-failover/20260105T030000Z-a1b2c3', signers: [ours.trusted.keyid], startedAt: '2026-01-05T03:00:00.000Z', finishedAt: '2026-01-05T03:00:16.000Z', hasReport: true, operator: 'alice' });
    expect(first?.objectives?.rto).toEqual({ status: 'met', targetMs: 30_000, achievedMs: 9_000, basis: 'start of disaster to end of service-back' });
    expect(second?.problem).toBe('enough distinct pinned keys signed: 0 distinct pinned key(s) signed, 1 required');
    expect(unsigned?.problem).toBe('record.dsse.json is a DSSE envelope whose payload is record.json: record.dsse.json is missing: the bundle was sealed unsigned');
    expect(tampered?.problem).toMatch(/^every subject file has the SHA-256 the Statement gives: junit\.xml: SHA-256 is [0-9a-f]{64}, the Statement says [0-9a-f]{64}$/);
    expect(misfiled?.problem).toBe('the record is of scenario other but is filed under pg-failover');
    expect(unfinished).toMatchObject({ startedAt: '2026-06-01T03:00:00.000Z', hasReport: false, signers: [] });
  });

  it('without trusted keys (unverified mode) checks integrity only', async () => {
    await storeBundle(root, { startedAt: '2026-01-05T03:00:00.000Z' });
    const { dir } = await storeBundle(root, { startedAt: '2026-02-02T03:00:00.000Z' });
    writeFileSync(join(dir, 'extra.txt'), 'not covered');
    const runs = await readRuns(createLocalStore(root), 'pg-failover', { keys: [], mode: 'unverified' });
    expect(runs.map((r) => [r.verification, r.problem])).toEqual([
      ['unverified', undefined],
      ['invalid', 'every file of the bundle is a subject: extra.txt: not covered by any subject'],
    ]);
  });

  it('caches results by record digest and file state, outside the store; any change is verified again', async () => {
    const keys = testKeys();
    const { dir } = await storeBundle(root, { startedAt: '2026-01-05T03:00:00.000Z', signingKey: keys.signing.privateKey });
    const indexFile = join(root, 'cache', 'index.json');
    const store = createLocalStore(join(root));
    const options = { keys: [keys.trusted], mode: 'verified' as const };

    const index = createFileIndex(indexFile);
    expect((await readRuns(store, 'pg-failover', { ...options, index }))[0]?.verification).toBe('verified');
    index.save();
    const ref = { scenarioId: 'pg-failover', runId: runIdAt('2026-01-05T03:00:00.000Z') };
    const [first] = await readRuns(store, 'pg-failover', options);
    const key = verifyIndexKey({ recordSha256: first?.recordSha256 ?? '', files: await store.statFiles(ref), keyids: [keys.trusted.keyid], threshold: 1, mode: 'verified' });
    expect(createFileIndex(indexFile).get(key)).toEqual({ verification: 'verified', signers: [keys.trusted.keyid] });

    // Same size, same content length: only the change time tells; the cached "verified" is not used.
    writeFileSync(join(dir, 'junit.xml'), 'x'.repeat((await store.statFiles(ref)).find((f) => f.name === 'junit.xml')?.bytes ?? 0));
    expect((await readRuns(store, 'pg-failover', { ...options, index: createFileIndex(indexFile) }))[0]?.verification).toBe('invalid');
  });
});
