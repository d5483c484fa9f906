/**
 * The S3 evidence store against a real Ceph radosgw: bundles uploaded write-once with their digests and
 * Object Lock retention, read back and verified; the cross-machine run lock by conditional writes, raced by
 * two processes; and the whole loop through the built CLI (two run-due processes, one run).
 */
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteObjectCommand, GetObjectRetentionCommand, ListObjectVersionsCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRuns } from '../../../src/register/read-history.js';
import { openS3Store } from '../../../src/register/s3/open.js';
import { pushBundle } from '../../../src/register/s3/push.js';
import { testKeys } from '../../evidence/fixtures.js';
import { drillbook, writeScenario } from '../../cli/support.js';
import { useS3Lab } from '../../lab/use-heavy-servers.js';
import { createBucket, labClient } from '../../runners/s3/support.js';
import { runIdAt, storeBundle } from '../bundles.js';

const lab = useS3Lab();
const keys = testKeys();
let client: S3Client;
let evidence: { name: string; remove(): Promise<void> };
let locks: { name: string; remove(): Promise<void> };
let root: string;
let env: Record<string, string>;

beforeAll(async () => {
  client = labClient(lab());
  evidence = await createBucket(client, { lockDays: 1 });
  locks = await createBucket(client);
  root = mkdtempSync(join(tmpdir(), 'drillbook-s3-store-'));
  env = { AWS_ACCESS_KEY_ID: lab().accessKeyId, AWS_SECRET_ACCESS_KEY: lab().secretAccessKey, AWS_REGION: lab().region, XDG_CACHE_HOME: join(root, 'cache') };
  Object.assign(process.env, { XDG_CACHE_HOME: env.XDG_CACHE_HOME });
});
afterAll(async () => {
  rmSync(root, { recursive: true, force: true });
  await evidence?.remove();
  await locks?.remove();
  client?.destroy();
});

const storeUrl = (prefix: string, lockBucket = true) => `s3://${evidence.name}/${prefix}?endpoint=${lab().endpoint}${lockBucket ? `&lock-bucket=${locks.name}` : ''}`;

describe('S3 evidence store', () => {
  it('uploads a bundle write-once with digests and Object Lock retention, and reads it back verified', async () => {
    const local = join(root, 'local');
    const { dir } = await storeBundle(local, { startedAt: '2026-10-05T02:00:05.000Z', signingKey: keys.signing.privateKey });
    const store = await openS3Store(storeUrl('drills'), { ...process.env, ...env });
    const pushed = await pushBundle(store, dir, { retention: { mode: 'GOVERNANCE', days: 2 }, nowMs: Date.now() });
    expect(pushed.ref).toEqual({ scenarioId: 'pg-failover', runId: runIdAt('2026-10-05T02:00:05.000Z') });
    expect(pushed.uploaded.slice(-2)).toEqual(['record.json', 'record.dsse.json']);
    expect(pushed.skipped).toEqual([]);
    expect(pushed.retention?.mode).toBe('GOVERNANCE');

    const key = `drills/pg-failover/${pushed.ref.runId}/record.json`;
    const retention = await client.send(new GetObjectRetentionCommand({ Bucket: evidence.name, Key: key }));
    expect(retention.Retention?.Mode).toBe('GOVERNANCE');
    const versions = await client.send(new ListObjectVersionsCommand({ Bucket: evidence.name, Prefix: key }));
    await expect(client.send(new DeleteObjectCommand({ Bucket: evidence.name, Key: key, VersionId: versions.Versions?.[0]?.VersionId }))).rejects.toMatchObject({ name: 'AccessDenied' });

    // Again: nothing to upload. A changed bundle no longer verifies and is refused before any upload.
    expect((await pushBundle(store, dir)).skipped).toHaveLength(pushed.uploaded.length);
    appendFileSync(join(dir, 'junit.xml'), ' ');
    await expect(pushBundle(store, dir)).rejects.toThrow(/does not verify \(every subject file has the SHA-256 the Statement gives: junit\.xml: .*\): not uploaded$/);

    expect(await store.listScenarioIds()).toEqual(['pg-failover']);
    const runs = await readRuns(store, 'pg-failover', { keys: [keys.trusted], mode: 'verified' });
    expect(runs.map((r) => [r.runId, r.verdict, r.verification, r.bundle])).toEqual([[pushed.ref.runId, 'PASS', 'verified', `s3://${evidence.name}/drills/pg-failover/${pushed.ref.runId}`]]);

    // Missed runs are written once per gap, next to the bundles.
    const missed = { scenarioId: 'pg-failover', firstSlot: '2026-11-02T02:00:00.000Z', lastSlot: '2026-11-09T02:00:00.000Z', slots: 2, reason: 'not-started' as const, schedule: '0 3 * * 1', timezone: 'Europe/Berlin', recordedAt: '2026-11-10T00:00:00.000Z', recordedBy: { host: 'a', pid: 1 } };
    expect([await store.recordMissed(missed), await store.recordMissed({ ...missed, recordedBy: { host: 'b', pid: 2 } })]).toEqual([true, false]);
    expect(await store.listMissed('pg-failover')).toEqual([missed]);
    expect(await store.listBundles('pg-failover')).toEqual([pushed.ref]);
    store.client.destroy();
  });

  it('refuses to lock with a bucket that ignores conditional writes (radosgw 16 on a versioned bucket)', async () => {
    const store = await openS3Store(storeUrl('drills', false), { ...process.env, ...env });
    await expect(store.lock.acquire({ scenarioId: 'x', token: 't', host: 'h', pid: 1, startedAt: '' })).rejects.toThrow(
      `s3://${evidence.name} ignores conditional writes (If-None-Match), so it cannot hold a run lock: two machines could run one scenario at once`,
    );
    store.client.destroy();
  });

  it('lets exactly one of two processes take the run lock, round after round', async () => {
    const racer = new URL('./lock-racer.mjs', import.meta.url).pathname;
    for (let round = 0; round < 5; round++) {
      const start = join(root, `go-${round}`);
      const contenders = [0, 1].map(() => {
        const child = spawn(process.execPath, [racer, storeUrl('race'), `race-${round}`, start], { env: { ...process.env, ...env, NODE_NO_WARNINGS: '1' } });
        let out = '';
        child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
        const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
        return { output: () => out, exited };
      });
      while (!contenders.every((c) => c.output().includes('"ready"'))) await new Promise((resolve) => setTimeout(resolve, 10));
      writeFileSync(start, '');
      expect(await Promise.all(contenders.map((c) => c.exited))).toEqual([0, 0]);
      const results = contenders.map((c) => JSON.parse(c.output().trim().split('\n').at(-1) ?? '{}') as { ok: boolean; holder: number | null });
      expect(results.filter((r) => r.ok)).toHaveLength(1);
      expect(results.filter((r) => !r.ok).every((r) => typeof r.holder === 'number')).toBe(true);
    }
  });

  it('two run-due processes on two "machines", one store: one run, uploaded, lock released', async () => {
    const machines = ['a', 'b'].map((name) => {
      const dir = join(root, `machine-${name}`);
      mkdirSync(join(dir, 'scenarios'), { recursive: true });
      writeFileSync(join(dir, 'ops.pub'), keys.publicKeyPem);
      writeFileSync(join(dir, 'ops.key'), keys.privateKeyPem, { mode: 0o600 });
      writeScenario(
        join(dir, 'scenarios'),
        'shared-drill',
        `cadence: 1d\nsteps:\n  - id: hold\n    uses: local\n    run: [node, -e, "const fs = require('fs'); fs.writeFileSync(process.argv[1], ''); const t = setInterval(() => { if (fs.existsSync(process.argv[2])) clearInterval(t); }, 20)", "${join(root, `started-${name}`)}", "${join(root, 'release')}"]\n`,
      );
      return dir;
    });
    const url = storeUrl('shared');
    const args = ['run-due', '--store', url, '--trust', 'ops.pub', '--sign-key', 'ops.key', '--retention-days', '1', '--retention-mode', 'governance'];
    const runs = machines.map((cwd) => drillbook(args, { cwd, env }));
    const started = () => ['a', 'b'].filter((name) => existsSync(join(root, `started-${name}`)));
    while (started().length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    // The loser has given up (locked, or seen the lock while planning) before the winner is released.
    const loser = await Promise.race(runs.map((run, i) => run.then(() => i)));
    writeFileSync(join(root, 'release'), '');
    const [a, b] = await Promise.all(runs);
    expect([a?.exitCode, b?.exitCode]).toEqual([0, 0]);
    expect(started()).toHaveLength(1);
    const loserOut = [a, b][loser]?.stdout ?? '';
    expect(loserOut).toMatch(/^(wait {2}shared-drill: a run of it is in progress|not started shared-drill: shared-drill is locked in s3:\/\/\S+ by \S+ \(pid \d+\) since \S+)$/m);
    const winnerOut = [a, b][1 - loser]?.stdout ?? '';
    expect(winnerOut).toMatch(new RegExp(`^start shared-drill: run (\\S+) → s3://${evidence.name}/shared/shared-drill/\\1$`, 'm'));

    const history = await drillbook(['history', 'shared-drill', '--store', url, '--trust', 'ops.pub', '--json'], { cwd: machines[0] ?? root, env });
    const listed = (JSON.parse(history.stdout) as { scenarios: { runs: { verdict: string; verification: string }[] }[] }).scenarios[0]?.runs;
    expect(listed?.map((r) => [r.verdict, r.verification])).toEqual([['PASS', 'verified']]);
    const store = await openS3Store(url, { ...process.env, ...env });
    expect(await store.lock.read('shared-drill')).toBeUndefined();
    store.client.destroy();
  });
});
