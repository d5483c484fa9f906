/** An exit run's bundle: sealed with its manifest as a subject, verified offline, its report linking the manifest. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sealBundle } from '../../src/evidence/seal.js';
import { verifyBundle } from '../../src/evidence/verify.js';
import { exitRecord, manifestFile } from './exit-fixtures.js';
import { testKeys, writeBundleFiles } from './fixtures.js';

const keys = testKeys();
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'drillbook-exit-bundle-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('an exit bundle', () => {
  it('seals the manifest as a subject and verifies; the report links the manifest inside the bundle', async () => {
    const manifest = '{"key":"orders/2026-01.csv","size":12,"sha256":"…"}\n';
    const record = writeBundleFiles(dir, exitRecord(), { [manifestFile]: manifest });
    const sealed = await sealBundle(dir, record, { signingKey: keys.signing.privateKey });
    expect(sealed.sealed).toBe(true);
    if (!sealed.sealed) return;
    expect(sealed.statement.subject.map((s) => s.name)).toContain(manifestFile);
    expect(sealed.statement.predicate).toMatchObject({ exitReadiness: { checklist: expect.any(Array) as unknown } });
    const report = await verifyBundle(dir, { keys: [keys.trusted] });
    expect(report.firstFailure).toBeUndefined();
    expect(report.ok).toBe(true);
    expect(readFileSync(join(dir, 'report.html'), 'utf8')).toContain(`<a href="${manifestFile}">`);
    expect(readFileSync(join(dir, 'junit.xml'), 'utf8')).toContain('<testsuite name="storage-exit.exit"');
  });
});
