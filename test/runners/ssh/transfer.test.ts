import { createHash, randomBytes } from 'node:crypto';
import type * as Crypto from 'node:crypto';
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createSshPool } from '../../../runners/ssh/pool.js';
import { createSshGetRunner, createSshPutRunner } from '../../../runners/ssh/transfer.js';
import { labHost } from '../../lab/lab.js';
import { useSshLab } from '../../lab/use-ssh-lab.js';
import { expectPlantsRefused } from '../destination-plants.js';
import { hostOptions, labSettings, loopbackOptions, sshAttempt, sshTarget } from './support.js';

// The temporary name of a download is drawn at random; a test that plants a file there draws it for the runner.
const drawn = vi.hoisted(() => ({ fixed: false }));
vi.mock('node:crypto', async (importOriginal) => {
  const real = await importOriginal<typeof Crypto>();
  const randomBytes = (size: number): Buffer => (drawn.fixed ? Buffer.alloc(size, 0x5a) : real.randomBytes(size));
  return { ...real, randomBytes };
});

const lab = useSshLab();
const pool = createSshPool();
const local = mkdtempSync(join(tmpdir(), 'drillbook-sftp-'));
afterAll(async () => {
  await pool.close();
  rmSync(local, { recursive: true, force: true });
});
const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

describe('ssh.put and ssh.get over SFTP', () => {
  it('round-trips a file with the SHA-256 of what was sent and received', async () => {
    const data = randomBytes(3 * 1024 * 1024 + 17);
    writeFileSync(join(local, 'dump.bin'), data);
    const target = sshTarget('lab', loopbackOptions(lab()));
    const put = await createSshPutRunner(labSettings(lab()), { pool }).run(
      sshAttempt({ options: { local: 'dump.bin', remote: 'dump.bin', mode: '0600' }, target, baseDir: local }).ctx,
    );
    expect(put.error).toBeUndefined();
    expect(put.details).toMatchObject({ direction: 'put', bytes: data.length, sha256: sha256(data), remote: 'dump.bin' });
    expect(put.stdout?.text).toBe(`${sha256(data)}  dump.bin\n`);
    // The lab host shares this machine's file system: look at what arrived, and that no temporary file is left.
    const remoteFile = join(lab().home, 'dump.bin');
    expect(sha256(readFileSync(remoteFile))).toBe(sha256(data));
    expect(statSync(remoteFile).mode & 0o777).toBe(0o600);
    expect(readdirSync(lab().home).filter((name) => name.includes('.drillbook-'))).toEqual([]);

    const get = await createSshGetRunner(labSettings(lab()), { pool }).run(
      sshAttempt({ options: { remote: 'dump.bin', local: 'back/dump.bin' }, target, baseDir: local }).ctx,
    );
    expect(get.error).toBeUndefined();
    expect(get.details).toMatchObject({ direction: 'get', bytes: data.length, sha256: sha256(data), local: join(local, 'back/dump.bin') });
    expect(readFileSync(join(local, 'back/dump.bin')).equals(data)).toBe(true);
  });

  it('fetches from every host of a group into files named after each host', async () => {
    const target = sshTarget('pair', {
      ...hostOptions(lab(), 'h1'),
      host: undefined,
      hostKey: [labHost(lab(), 'h1').hostKey, labHost(lab(), 'h2').hostKey],
      hosts: [labHost(lab(), 'h1').address, labHost(lab(), 'h2').address],
    });
    const get = await createSshGetRunner(labSettings(lab()), { pool }).run(sshAttempt({ options: { remote: '/etc/hostname', local: 'hosts/{host}.txt' }, target, baseDir: local }).ctx);
    expect(get.error).toBeUndefined();
    expect(get.details).toMatchObject({ passed: 2 });
    // /etc/hostname is the machine's (hostnames of the lab hosts live in their UTS namespaces only).
    const expected = readFileSync('/etc/hostname');
    for (const host of ['h1', 'h2']) expect(readFileSync(join(local, 'hosts', `${labHost(lab(), host).address}.txt`)).equals(expected)).toBe(true);

    const noPlaceholder = await createSshGetRunner(labSettings(lab()), { pool }).run(sshAttempt({ options: { remote: '/etc/hostname', local: 'one.txt' }, target, baseDir: local }).ctx);
    expect(noPlaceholder.error).toEqual({ code: 'SSH_CONFIG', message: "ssh.get on group pair: `local` must contain {host} so each host's file gets its own name" });
  });

  it('reports a missing remote file and leaves no partial local file', async () => {
    const target = sshTarget('lab', loopbackOptions(lab()));
    const get = await createSshGetRunner(labSettings(lab()), { pool }).run(sshAttempt({ options: { remote: 'no/such/file', local: 'missing.bin' }, target, baseDir: local }).ctx);
    expect(get.error?.code).toBe('SFTP_FAILED');
    expect(get.error?.message).toMatch(/^get no\/such\/file → .*missing\.bin on 127\.0\.0\.1 failed: No such file/);
    expect(existsSync(join(local, 'missing.bin'))).toBe(false);
    expect(readdirSync(local).filter((name) => name.includes('.part'))).toEqual([]);
  });

  it('ssh.get makes its folders 0700 and the file 0600; a link or someone else’s folder on the way, or a link at `local`, fails before anything is fetched', async () => {
    const target = sshTarget('lab', loopbackOptions(lab()));
    await expectPlantsRefused('ssh.get', local, async (to) => (await createSshGetRunner(labSettings(lab()), { pool }).run(sshAttempt({ options: { remote: '/etc/hostname', local: to }, target, baseDir: local }).ctx)).error);
  });

  it('ssh.get never writes through a link planted at its temporary name', async () => {
    const outside = mkdtempSync(join(local, 'outside-'));
    writeFileSync(join(outside, 'target'), 'theirs');
    const to = join(local, 'planted-hostname');
    const part = `${to}.drillbook-${'5a'.repeat(6)}.part`;
    symlinkSync(join(outside, 'target'), part);
    const attempt = sshAttempt({ options: { remote: '/etc/hostname', local: 'planted-hostname' }, target: sshTarget('lab', loopbackOptions(lab())), baseDir: local });
    drawn.fixed = true;
    let get;
    try {
      get = await createSshGetRunner(labSettings(lab()), { pool }).run(attempt.ctx);
    } finally {
      drawn.fixed = false;
    }
    expect(get.error).toEqual({
      code: 'DEST_UNSAFE',
      message: `ssh.get: ${part} exists already, under a name drillbook had just drawn at random: someone put it there; remove it`,
    });
    expect(readFileSync(join(outside, 'target'), 'utf8')).toBe('theirs');
    expect(existsSync(to)).toBe(false);
    expect(lstatSync(part).isSymbolicLink()).toBe(true);
  });

  it('stops a transfer on abort without leaving the remote temporary file', async () => {
    writeFileSync(join(local, 'big.bin'), randomBytes(64 * 1024 * 1024));
    const attempt = sshAttempt({ options: { local: 'big.bin', remote: 'big.bin' }, target: sshTarget('lab', loopbackOptions(lab())), baseDir: local });
    const running = createSshPutRunner(labSettings(lab()), { pool }).run(attempt.ctx);
    setTimeout(() => attempt.controller.abort(new Error('timeout')), 150);
    const put = await running;
    expect(put.error?.code).toBe('CANCELLED');
    expect(existsSync(join(lab().home, 'big.bin'))).toBe(false);
    expect(readdirSync(lab().home).filter((name) => name.includes('.drillbook-'))).toEqual([]);
  });
});
