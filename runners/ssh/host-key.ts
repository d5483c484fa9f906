/**
 * Host key verification, run by ssh2 during key exchange (before any authentication). A key is accepted
 * only when a pin or a known_hosts entry for this host matches it; otherwise the handshake is aborted and
 * the error names the host, the presented fingerprint and the expected ones.
 */
import { readFile } from 'node:fs/promises';
import { SshError } from './errors.js';
import { fingerprintOf, keyTypeOf, type SeenHostKey } from './fingerprint.js';
import { entryMatches, knownHostsName, parseKnownHosts, type KnownHostEntry } from './known-hosts.js';

export type HostKeyPolicy =
  | { kind: 'pins'; fingerprints: readonly string[] }
  /** `required` files must exist; default locations (~/.ssh/known_hosts) may be missing. */
  | { kind: 'known-hosts'; files: readonly { path: string; required: boolean }[]; alias?: string }
  | { kind: 'insecure' };

export interface HostKeyCheck {
  /** ssh2's `hostVerifier`: true accepts, false aborts the handshake. */
  verify(blob: Buffer): boolean;
  /** The key the server presented, once it has. */
  readonly seen: SeenHostKey | undefined;
  /** Why the key was refused, when it was. */
  readonly rejection: SshError | undefined;
  /** Host key algorithms to ask for (types that could verify first), or undefined for ssh2's default. */
  readonly algorithms: string[] | undefined;
}

export interface HostKeySubject {
  label: string;
  hostname: string;
  port: number;
}

// ssh2's default preference for Node 20 (ed25519 available); reordered so known key types come first.
const defaultAlgorithms = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];

function algorithmsFor(keyTypes: readonly string[]): string[] | undefined {
  const preferred = keyTypes.flatMap((type) => (type === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [type]));
  const known = [...new Set(preferred.filter((algorithm) => defaultAlgorithms.includes(algorithm)))];
  if (known.length === 0) return undefined;
  return [...known, ...defaultAlgorithms.filter((algorithm) => !known.includes(algorithm))];
}

async function loadEntries(files: readonly { path: string; required: boolean }[], name: string, subject: HostKeySubject): Promise<KnownHostEntry[]> {
  const entries: KnownHostEntry[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file.path, 'utf8');
    } catch (error) {
      if (!file.required && (error as { code?: unknown }).code === 'ENOENT') continue;
      throw new SshError('SSH_CONFIG', `cannot read known_hosts file ${file.path} for ${subject.label}: ${(error as Error).message}`, {
        host: subject.label,
      });
    }
    entries.push(...parseKnownHosts(text, file.path).filter((entry) => entry.marker !== 'cert-authority' && entryMatches(entry, name)));
  }
  return entries;
}

/** Load what the policy needs (known_hosts files) and return the verifier for one connection. */
export async function prepareHostKeyCheck(policy: HostKeyPolicy, subject: HostKeySubject): Promise<HostKeyCheck> {
  const address = `${subject.hostname}:${subject.port}`;
  const name = knownHostsName(policy.kind === 'known-hosts' && policy.alias ? policy.alias : subject.hostname, subject.port);
  const entries = policy.kind === 'known-hosts' ? await loadEntries(policy.files, name, subject) : [];
  const valid = entries.filter((entry) => entry.marker === undefined);
  let seen: SeenHostKey | undefined;
  let rejection: SshError | undefined;

  const refuse = (code: 'HOST_KEY_MISMATCH' | 'HOST_KEY_UNKNOWN' | 'HOST_KEY_REVOKED', message: string): false => {
    rejection = new SshError(code, `${message}; the connection was closed before authentication`, { host: subject.label });
    return false;
  };

  const verify = (blob: Buffer): boolean => {
    const type = keyTypeOf(blob);
    const fingerprint = fingerprintOf(blob);
    const presented = `${subject.label} (${address}) presented ${type} key ${fingerprint}`;
    const accept = (verifiedBy: string): true => {
      seen = { host: subject.label, address, type, fingerprint, verifiedBy };
      return true;
    };
    seen = { host: subject.label, address, type, fingerprint, verifiedBy: 'refused' };
    switch (policy.kind) {
      case 'insecure':
        return accept('insecure');
      case 'pins':
        if (policy.fingerprints.includes(fingerprint)) return accept('pinned');
        return refuse(
          'HOST_KEY_MISMATCH',
          `host key mismatch: ${presented}, but hostKey pins ${policy.fingerprints.join(' or ')}` +
            ' (if the host was rebuilt, check its new key out of band before changing the pin)',
        );
      case 'known-hosts': {
        const revoked = entries.find((entry) => entry.marker === 'revoked' && entry.key.equals(blob));
        if (revoked) return refuse('HOST_KEY_REVOKED', `host key revoked: ${presented}, marked @revoked in ${revoked.file}:${revoked.line}`);
        const match = valid.find((entry) => entry.key.equals(blob));
        if (match) return accept(`known_hosts ${match.file}:${match.line}`);
        if (valid.length > 0) {
          const expected = valid.map((entry) => `${entry.keyType} ${fingerprintOf(entry.key)} (${entry.file}:${entry.line})`).join(' or ');
          return refuse('HOST_KEY_MISMATCH', `host key mismatch: ${presented}, but known_hosts has ${expected} for ${name}`);
        }
        const files = policy.files.map((file) => file.path).join(', ') || 'no known_hosts file';
        return refuse(
          'HOST_KEY_UNKNOWN',
          `unknown host key: ${presented}, and ${files} has no entry for ${name}; check the key out of band, then pin it with hostKey: "${fingerprint}"`,
        );
      }
    }
  };

  return {
    verify,
    get seen() {
      return seen;
    },
    get rejection() {
      return rejection;
    },
    algorithms: algorithmsFor(valid.map((entry) => entry.keyType)),
  };
}
