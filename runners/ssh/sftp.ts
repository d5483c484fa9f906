/**
 * File transfer over SFTP with the SHA-256 of every byte sent or received. Both directions write to a
 * temporary name beside the destination and rename it into place only once complete (and, locally,
 * fsync'd), so a stopped or failed transfer never leaves a partial file under the real name. Locally
 * the temporary file is created new (safe-files.ts) in a folder the caller checked.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { rename, unlink } from 'node:fs/promises';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { SFTPWrapper } from 'ssh2';
import { createNewFile } from '../shared/safe-files.js';
import { StepError } from '../shared/step-error.js';
import { SshError } from './errors.js';
import type { Lease } from './pool.js';

export interface Transferred {
  bytes: number;
  sha256: string;
}

/** A pass-through that hashes and counts. */
function digestTap(): { tap: Transform; result(): Transferred } {
  const hash = createHash('sha256');
  let bytes = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      bytes += chunk.length;
      callback(null, chunk);
    },
  });
  return { tap, result: () => ({ bytes, sha256: hash.digest('hex') }) };
}

function partName(path: string): string {
  return `${path}.drillbook-${randomBytes(6).toString('hex')}.part`;
}

function openSftp(lease: Lease): Promise<SFTPWrapper> {
  return new Promise((resolve, reject) => {
    lease.client.sftp((error, sftp) => {
      if (error) {
        reject(new SshError(lease.alive() ? 'SFTP_FAILED' : 'CONNECTION_LOST', `${lease.host.label}: cannot start SFTP: ${error.message}`, { host: lease.host.label }));
        return;
      }
      // Failures reach the transfer through its streams; an 'error' event without a listener would crash the process.
      sftp.on('error', () => undefined);
      resolve(sftp);
    });
  });
}

function call(run: (callback: (error?: Error | null) => void) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    run((error) => (error ? reject(error) : resolve()));
  });
}

function transferError(lease: Lease, what: string, error: unknown): SshError | StepError {
  if (error instanceof SshError || error instanceof StepError) return error;
  if ((error as { name?: unknown }).name === 'AbortError') return new SshError('CANCELLED', `${what} on ${lease.host.label} was stopped`, { host: lease.host.label });
  const message = error instanceof Error ? error.message : String(error);
  if (!lease.alive()) return new SshError('CONNECTION_LOST', `${what} on ${lease.host.label}: connection lost (${lease.lostReason() ?? message})`, { host: lease.host.label });
  return new SshError('SFTP_FAILED', `${what} on ${lease.host.label} failed: ${message}`, { host: lease.host.label, cause: error });
}

/** Replace `to` by `from`: the OpenSSH posix-rename extension when offered, else remove then rename. */
async function renameRemote(sftp: SFTPWrapper, from: string, to: string): Promise<void> {
  try {
    await call((done) => sftp.ext_openssh_rename(from, to, done));
  } catch {
    await call((done) => sftp.unlink(to, done)).catch(() => undefined);
    await call((done) => sftp.rename(from, to, done));
  }
}

export async function putFile(lease: Lease, local: string, remote: string, mode: number, signal: AbortSignal): Promise<Transferred> {
  const what = `put ${local} → ${remote}`;
  const sftp = await openSftp(lease);
  const part = partName(remote);
  const digest = digestTap();
  try {
    await pipeline(createReadStream(local, { highWaterMark: 1024 * 1024 }), digest.tap, sftp.createWriteStream(part, { mode }), { signal });
    await call((done) => sftp.chmod(part, mode, done));
    await renameRemote(sftp, part, remote);
    return digest.result();
  } catch (error) {
    if (lease.alive()) await call((done) => sftp.unlink(part, done)).catch(() => undefined);
    throw transferError(lease, what, error);
  } finally {
    sftp.end();
  }
}

/** Fetch `remote` into `local`, whose folder the caller checked (makeSafeFolder). */
export async function getFile(lease: Lease, remote: string, local: string, signal: AbortSignal): Promise<Transferred> {
  const what = `get ${remote} → ${local}`;
  const sftp = await openSftp(lease);
  const part = partName(local);
  const digest = digestTap();
  let made = false;
  try {
    const file = await createNewFile(part);
    made = true;
    // The stream closes the file, after an fsync (`flush`): the data is on disk before the rename.
    await pipeline(sftp.createReadStream(remote), digest.tap, file.createWriteStream({ flush: true }), { signal });
    await rename(part, local);
    return digest.result();
  } catch (error) {
    // A file planted at the name is not ours to remove.
    if (made) await unlink(part).catch(() => undefined);
    throw transferError(lease, what, error);
  } finally {
    sftp.end();
  }
}
