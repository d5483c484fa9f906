/**
 * The host keys a person must see before typing a command on each ssh host by hand (the runbook): the pinned
 * fingerprints, or the known_hosts entries for the host as drillbook would look it up, read from local files.
 */
import { readFileSync } from 'node:fs';
import type { TargetFactsRequest } from '../../src/runner-contract.js';
import { fingerprintOf } from './fingerprint.js';
import type { HostKeyPolicy } from './host-key.js';
import { entryMatches, knownHostsName, parseKnownHosts } from './known-hosts.js';
import type { ResolvedHost } from './resolve.js';

function keyLines(policy: HostKeyPolicy, name: string): string[] {
  if (policy.kind === 'insecure') return ['host key NOT checked (insecureAcceptAnyHostKey): compare its fingerprint with the owner before you log in'];
  if (policy.kind === 'pins') return policy.fingerprints.map((fingerprint) => `host key ${fingerprint} (pinned)`);
  const lines: string[] = [];
  for (const file of policy.files) {
    let text: string;
    try {
      text = readFileSync(file.path, 'utf8');
    } catch (error) {
      if (file.required || (error as { code?: unknown }).code !== 'ENOENT') lines.push(`cannot read ${file.path}: ${(error as Error).message}`);
      continue;
    }
    for (const entry of parseKnownHosts(text, file.path).filter((e) => e.marker !== 'cert-authority' && entryMatches(e, name))) {
      const where = `${entry.file}:${entry.line}`;
      lines.push(entry.marker === 'revoked' ? `REVOKED: ${entry.keyType} ${fingerprintOf(entry.key)} (${where}): refuse this key` : `host key ${entry.keyType} ${fingerprintOf(entry.key)} (${where})`);
    }
  }
  if (!lines.length) {
    lines.push(`no host key for ${name} in ${policy.files.map((f) => f.path).join(', ') || 'any known_hosts file'}: check it out of band before you log in`);
  }
  return lines;
}

function hostLines(host: ResolvedHost, via = ''): string[] {
  const name = knownHostsName(host.hostKey.kind === 'known-hosts' && host.hostKey.alias ? host.hostKey.alias : host.hostname, host.port);
  const head = `${host.label} (${host.user}@${host.hostname}:${host.port}${via})`;
  const own = keyLines(host.hostKey, name).map((line) => `${head}: ${line}`);
  return [...(host.jump ? hostLines(host.jump, `, jump host of ${host.label}`) : []), ...own];
}

export async function sshHostKeyFacts(request: TargetFactsRequest): Promise<Record<string, string[]>> {
  const { loadSshConfig } = await import('./ssh-config.js');
  const { resolveSshTarget, sshSettingsOf } = await import('./session.js');
  const settings = sshSettingsOf(request.settings);
  const facts: Record<string, string[]> = {};
  let config: Awaited<ReturnType<typeof loadSshConfig>> | undefined;
  for (const [name, target] of Object.entries(request.targets)) {
    try {
      config ??= await loadSshConfig(settings);
      facts[name] = resolveSshTarget(target, request.baseDir, settings, config).hosts.flatMap((host) => hostLines(host));
    } catch (error) {
      facts[name] = [`cannot tell its host keys: ${(error as Error).message}`];
    }
  }
  return facts;
}
