/**
 * OpenSSH known_hosts files: plain and hashed (`|1|salt|hmac`) host names, `[host]:port` for other ports,
 * `*`/`?` wildcards, `!` negation, `@revoked`. `@cert-authority` lines are skipped (host certificates are
 * not supported).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface KnownHostEntry {
  marker?: 'revoked' | 'cert-authority';
  patterns: string;
  keyType: string;
  key: Buffer;
  file: string;
  line: number;
}

/** Every usable line of a known_hosts file; malformed lines are skipped as OpenSSH does. */
export function parseKnownHosts(text: string, file: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const fields = raw.trim().split(/\s+/);
    if (fields[0] === undefined || fields[0] === '' || fields[0].startsWith('#')) return;
    let marker: KnownHostEntry['marker'];
    if (fields[0].startsWith('@')) {
      const name = fields.shift();
      if (name === '@revoked') marker = 'revoked';
      else if (name === '@cert-authority') marker = 'cert-authority';
      else return;
    }
    const [patterns, keyType, base64] = fields;
    if (patterns === undefined || keyType === undefined || base64 === undefined) return;
    const key = Buffer.from(base64, 'base64');
    if (key.length === 0) return;
    entries.push({ ...(marker ? { marker } : {}), patterns, keyType, key, file, line: index + 1 });
  });
  return entries;
}

/** The name OpenSSH looks up: `host` on port 22, `[host]:port` otherwise. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

function wildcardMatch(pattern: string, name: string): boolean {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*').replaceAll('?', '.');
  return new RegExp(`^${source}$`).test(name);
}

function hashedMatch(pattern: string, name: string): boolean {
  const [, kind, salt, hash] = pattern.split('|');
  if (kind !== '1' || salt === undefined || hash === undefined) return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest();
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/** Whether an entry's host field names `name` (already in `knownHostsName` form). */
export function entryMatches(entry: KnownHostEntry, name: string): boolean {
  if (entry.patterns.startsWith('|')) return hashedMatch(entry.patterns, name);
  const lower = name.toLowerCase();
  let matched = false;
  for (const raw of entry.patterns.split(',')) {
    const negated = raw.startsWith('!');
    const pattern = (negated ? raw.slice(1) : raw).toLowerCase();
    if (!wildcardMatch(pattern, lower)) continue;
    if (negated) return false;
    matched = true;
  }
  return matched;
}
