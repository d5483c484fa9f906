/** `drillbook sign BUNDLE --key NAME.key [--role reviewer]`: add a sign-off without rewriting anything. */
import { loadSigningKey } from '../../evidence/keys.js';
import { signOffBundle } from '../../evidence/sign-off.js';
import { verifyBundle } from '../../evidence/verify.js';
import { DrillbookError } from '../../errors.js';
import { exitCodes } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { reportError } from '../report-error.js';
import { assertBundleDir } from './verify.js';

export interface SignFlags {
  key?: string;
  role?: string;
  json?: boolean;
}

export async function signCommand(bundle: string, flags: SignFlags, io: CliIo): Promise<number> {
  try {
    if (!flags.key) throw new DrillbookError('USAGE', 'sign needs --key FILE (an Ed25519 private key)', { hint: 'create one with `drillbook keys generate NAME`' });
    const key = loadSigningKey(flags.key);
    // Sign only what is intact: integrity checks without requiring any signature.
    const integrity = await verifyBundle(assertBundleDir(bundle), { threshold: 0 });
    if (!integrity.ok) {
      const first = integrity.firstFailure;
      io.stderr(`drillbook: refusing to sign ${bundle}: ${first ? `${first.title}: ${first.details[0] ?? ''}` : 'it does not verify'}\n`);
      return exitCodes.verificationFailed;
    }
    const role = flags.role ?? 'reviewer';
    const { file, keyid } = await signOffBundle(bundle, key, { role });
    io.stdout(flags.json ? `${JSON.stringify({ file, keyid, role, recordSha256: integrity.payloadSha256 })}\n` : `signed ${bundle} as ${role} with key ${keyid}: ${file}\n`);
    return exitCodes.ok;
  } catch (error) {
    return reportError(error, io);
  }
}
