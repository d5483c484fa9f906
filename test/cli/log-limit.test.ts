/**
 * A step that prints more than `defaults.logLimit` does not fill the bundle: its log keeps the first bytes and
 * a line saying where it was cut, the record still holds the whole stream's size and digest, the bundle seals
 * and verifies, and a secret printed before or after the cut is in neither the log nor the record.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { truncationMarker } from '../../src/engine/step-logs.js';
import { drillbook, readRecord, workspace, writeScenario } from './support.js';

const mib = 1024 * 1024;

/** A scenario whose step prints `total` bytes of `x` to stdout, the secret `token` around them when `framed`. */
function loud(dir: string, limit: string, total: number, framed = false): string {
  const print = framed ? `const t = process.argv[1]; process.stdout.write(t + '\\\\n' + 'x'.repeat(${total}) + '\\\\n' + t)` : `process.stdout.write('x'.repeat(${total}))`;
  return writeScenario(
    dir,
    'loud',
    `defaults: { logLimit: ${limit} }
secrets: { token: { env: LOUD_TOKEN } }
steps:
  - { id: talk, uses: local, run: [node, -e, "${print}", "\${{ secrets.token }}"] }
`,
  );
}

const bundleOf = (store: string): string => join(store, 'loud', readdirSync(join(store, 'loud')).find((n) => n !== 'run.lock') ?? '');
const sha256 = (text: string | Buffer): string => createHash('sha256').update(text).digest('hex');

describe('defaults.logLimit', () => {
  it('keeps the first bytes and a marker; the record holds the whole stream', async () => {
    const dir = workspace();
    const total = 3 * mib;
    const file = loud(dir, '1MiB', total);
    const result = await drillbook(['run', file, '--store', join(dir, 'store')], { env: { LOUD_TOKEN: 'never-printed-here' } });
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    const bundle = bundleOf(join(dir, 'store'));
    const record = readRecord(bundle);
    const stdout = record.steps[0]?.attempts[0]?.stdout;
    expect(stdout?.bytes).toBe(total);
    expect(stdout?.sha256).toBe(sha256('x'.repeat(total)));
    expect(stdout?.logTruncated).toEqual({ keptBytes: mib });
    expect(stdout?.redacted).toBeUndefined();
    const log = readFileSync(join(bundle, stdout?.log ?? ''));
    expect(log.subarray(0, mib).toString()).toBe('x'.repeat(mib));
    expect(log.subarray(mib).toString()).toBe(truncationMarker(mib, total, sha256('x'.repeat(total))));
    expect(stdout?.logSha256).toBe(sha256(log));
    const verified = await drillbook(['verify', bundle, '--threshold', '0']);
    expect(verified.exitCode).toBe(0);
  }, 60_000);

  it('a stream under the limit is stored whole, with no marker', async () => {
    const dir = workspace();
    const file = loud(dir, '1MiB', mib - 1);
    const result = await drillbook(['run', file, '--store', join(dir, 'store')], { env: { LOUD_TOKEN: 'never-printed-here' } });
    expect(result.exitCode).toBe(0);
    const bundle = bundleOf(join(dir, 'store'));
    const stdout = readRecord(bundle).steps[0]?.attempts[0]?.stdout;
    expect(stdout?.logTruncated).toBeUndefined();
    expect(statSync(join(bundle, stdout?.log ?? '')).size).toBe(mib - 1);
  }, 60_000);

  it('a secret before and after the cut reaches neither the log nor the record', async () => {
    const dir = workspace();
    const secret = 'Zq7-loud-secret-9f';
    const total = 2 * mib;
    const file = loud(dir, '1MiB', total, true);
    const result = await drillbook(['run', file, '--store', join(dir, 'store')], { env: { LOUD_TOKEN: secret } });
    expect(result.exitCode).toBe(0);
    const bundle = bundleOf(join(dir, 'store'));
    const stdout = readRecord(bundle).steps[0]?.attempts[0]?.stdout;
    expect(stdout?.redacted).toBe(true);
    expect(stdout?.logTruncated?.keptBytes).toBe(mib);
    // The whole stream as redacted: the raw digest would let anyone test guesses of the secret.
    const redactedWhole = `***\n${'x'.repeat(total)}\n***`;
    expect(stdout?.sha256).toBe(sha256(redactedWhole));
    expect(stdout?.bytes).toBe(Buffer.byteLength(redactedWhole));
    for (const name of readdirSync(bundle, { recursive: true }) as string[]) {
      const path = join(bundle, name);
      if (statSync(path).isFile()) expect(readFileSync(path).includes(secret), name).toBe(false);
    }
    const verified = await drillbook(['verify', bundle, '--threshold', '0']);
    expect(verified.exitCode).toBe(0);
  }, 60_000);
});
