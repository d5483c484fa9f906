/** `drillbook keys generate NAME` and `drillbook keys id FILE`: Ed25519 signing keys that openssl reads too. */
import { dirname } from 'node:path';
import { mkdirSync } from 'node:fs';
import { writeFileAtomic, writeNewFileAtomic } from '../../evidence/atomic-write.js';
import { generateKeyPair, loadTrustedKey } from '../../evidence/keys.js';
import { DrillbookError } from '../../errors.js';
import { exitCodes } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { reportError } from '../report-error.js';

export interface KeysGenerateFlags {
  /** Replace existing NAME.key / NAME.pub. */
  force?: boolean;
  json?: boolean;
}

/** Write NAME.key (PKCS#8 PEM, mode 0600) and NAME.pub (SPKI PEM) and print the key id. */
export function keysGenerateCommand(name: string, flags: KeysGenerateFlags, io: CliIo): Promise<number> {
  return Promise.resolve(generate(name, flags, io));
}

function generate(name: string, flags: KeysGenerateFlags, io: CliIo): number {
  try {
    if (name === '' || name.endsWith('/') || /\.(key|pub)$/.test(name)) {
      throw new DrillbookError('USAGE', `key name ${JSON.stringify(name)}: give the name without .key or .pub`, { hint: 'drillbook keys generate keys/alice' });
    }
    const pair = generateKeyPair();
    const write = flags.force ? writeFileAtomic : writeNewFileAtomic;
    mkdirSync(dirname(name), { recursive: true });
    try {
      write(`${name}.key`, pair.privateKeyPem, 0o600);
      write(`${name}.pub`, pair.publicKeyPem, 0o644);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new DrillbookError('USAGE', `${name}.key or ${name}.pub exists; not replacing a key`, { hint: 'choose another name, or pass --force', cause: error });
      }
      throw error;
    }
    io.stdout(
      flags.json
        ? `${JSON.stringify({ privateKey: `${name}.key`, publicKey: `${name}.pub`, keyid: pair.keyid })}\n`
        : `wrote ${name}.key (private: keep it secret) and ${name}.pub (give it to verifiers)\nkey id ${pair.keyid}\n`,
    );
    return exitCodes.ok;
  } catch (error) {
    return reportError(error, io);
  }
}

/** Print the key id (hex SHA-256 of the SPKI DER) of a public or private key file. */
export function keysIdCommand(file: string, _flags: Record<string, never>, io: CliIo): Promise<number> {
  try {
    io.stdout(`${loadTrustedKey(file).keyid}\n`);
    return Promise.resolve(exitCodes.ok);
  } catch (error) {
    return Promise.resolve(reportError(error, io));
  }
}
