/**
 * Sign-off: a reviewer or approver adds `signatures/<keyid>.dsse.json` without rewriting anything, so a
 * bundle in write-once storage can still gain signatures. The file is a DSSE envelope over the same payload
 * as record.dsse.json (byte-identical to record.json), plus `signOff`: a second envelope, signed by the same
 * key, whose payload names the role, the time and the record digest, so the role cannot be edited unnoticed.
 */
import { createHash, type KeyObject } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DrillbookError } from '../errors.js';
import { fsyncDirectory, writeNewFileAtomic } from './atomic-write.js';
import { bundleLayout } from './bundle-files.js';
import { serializeEnvelope, signEnvelope, type DsseEnvelope } from './dsse.js';
import { loadSigningKey, type SigningKey } from './keys.js';
import { stableStringify } from './stable-json.js';
import { inTotoPayloadType } from './statement.js';

/** payloadType of the inner envelope that binds the role. */
export const signOffPayloadType = 'application/vnd.drillbook.sign-off+json';
/** Roles are short lowercase words: reviewer, approver, auditor, … */
export const rolePattern = /^[a-z][a-z0-9-]{0,31}$/;

/** What the inner envelope of a sign-off says. */
export interface SignOffClaim {
  role: string;
  keyid: string;
  /** Hex SHA-256 of record.json (the payload signed). */
  recordSha256: string;
  signedAt: string;
}

/** A sign-off file: the DSSE envelope plus the signed role claim. */
export interface SignOffFile extends DsseEnvelope {
  signOff: DsseEnvelope;
}

/** Bundle-relative path of the sign-off of a key. */
export function signOffPath(keyid: string): string {
  return `${bundleLayout.signatures}/${keyid}.dsse.json`;
}

/**
 * Add a sign-off by `key` with `role` to the bundle in `dir`. Never replaces a file: a second sign-off by the
 * same key fails (USAGE). Returns the bundle-relative path written.
 */
export async function signOffBundle(dir: string, key: KeyObject | string | SigningKey, options: { role: string; at?: string }): Promise<{ file: string; keyid: string }> {
  if (!rolePattern.test(options.role)) {
    throw new DrillbookError('USAGE', `role ${JSON.stringify(options.role)} is not a short lowercase word`, { hint: 'for example --role reviewer' });
  }
  const signingKey = typeof key === 'object' && 'privateKey' in key ? key : loadSigningKey(key);
  let payload: Buffer;
  try {
    payload = await readFile(join(dir, bundleLayout.record));
  } catch (error) {
    throw new DrillbookError('USAGE', `${dir} has no readable ${bundleLayout.record}: not a sealed bundle`, { cause: error });
  }
  const claim: SignOffClaim = {
    role: options.role,
    keyid: signingKey.keyid,
    recordSha256: createHash('sha256').update(payload).digest('hex'),
    signedAt: options.at ?? new Date().toISOString(),
  };
  const file: SignOffFile = {
    ...signEnvelope(inTotoPayloadType, payload, signingKey),
    signOff: signEnvelope(signOffPayloadType, Buffer.from(stableStringify(claim), 'utf8'), signingKey),
  };
  const relative = signOffPath(signingKey.keyid);
  mkdirSync(join(dir, bundleLayout.signatures), { recursive: true });
  fsyncDirectory(dir);
  try {
    writeNewFileAtomic(join(dir, relative), serializeEnvelope(file));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new DrillbookError('USAGE', `${relative} exists: key ${signingKey.keyid} has already signed this bundle`, { cause: error });
    }
    throw error;
  }
  return { file: relative, keyid: signingKey.keyid };
}
