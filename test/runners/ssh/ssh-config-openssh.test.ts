/**
 * drillbook's reading of an ssh client config, held against OpenSSH's own: `ssh -G -F CONFIG HOST` prints
 * the configuration ssh resolved for HOST and connects nowhere. It runs as the lab's login user, so `~`,
 * %d and %u mean the same home and user for both sides (drillbook reads them from HOME and USER).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveTarget, type ResolvedHost } from '../../../runners/ssh/resolve.js';
import { loadSshConfig, type LoadedSshConfig, type SshConfigEntry } from '../../../runners/ssh/ssh-config.js';
import { sshTargetSchema } from '../../../src/scenario/targets/ssh.js';
import { useSshLab } from '../../lab/use-ssh-lab.js';

const lab = useSshLab();

/** OpenSSH 9.2's identity files when none is configured. */
const openSshDefaultIdentities = ['id_rsa', 'id_ecdsa', 'id_ecdsa_sk', 'id_ed25519', 'id_ed25519_sk', 'id_xmss', 'id_dsa'].map((name) => `~/.ssh/${name}`);

const hosts = [
  'web-1',
  'web-2',
  'web-internal',
  'bastion',
  'db',
  'DB',
  'piped',
  'jumped',
  'execd',
  'cert',
  'included',
  'extra',
  'cond-1',
  'fin',
  'plain.example',
] as const;

let dir: string;
let configFile: string;
let marker: string;
let sshDir: string;

function configText(): string {
  return [
    '# drillbook vs ssh -G',
    'Include inc/*.conf',
    'Include extra.conf',
    'Host web-* !web-internal',
    '  User webops',
    '  Port 2201',
    '  IdentityFile ~/.ssh/web_%r',
    '  IdentitiesOnly yes',
    'Host web-internal',
    '  HostName 10.9.0.5',
    '  ProxyJump jumper@bastion:2022,relay',
    'Host bastion',
    '  HostName bastion.example',
    '  ConnectTimeout 7',
    'Host db',
    '  HostName DB.Internal',
    '  User dba',
    '  HostKeyAlias db-key',
    'Match host db.internal user dba',
    '  ServerAliveInterval 15',
    '  ServerAliveCountMax 4',
    'Match host db.internal user nobody',
    '  ServerAliveCountMax 5',
    'Match originalhost db',
    '  UserKnownHostsFile ~/.ssh/kh_%h_%p_%r_%n_%k_%u %d/kh2',
    'Host piped',
    '  ProxyCommand /usr/bin/nc -X connect -x proxy.example:3128 %h %p',
    '  ProxyJump ignored-because-proxycommand-came-first',
    'Host jumped',
    '  ProxyJump relay',
    '  ProxyCommand ignored %h',
    `Match exec "test -e ${marker}" host execd`,
    '  Port 2999',
    'Match exec false host execd',
    '  User never',
    'Match !exec false originalhost execd',
    '  HostKeyAlias exec-negated',
    'Host cert',
    '  CertificateFile ~/.ssh/cert.pub',
    'Host cond-*',
    '  Include cond.conf',
    '  HostKeyAlias after-include',
    'Host fin',
    '  HostName FINAL.example',
    'Match final host final.example',
    '  Port 2400',
    'Host final.example',
    '  User finaluser',
    'Host *',
    '  ConnectTimeout 11',
    '  ServerAliveInterval 9',
    '  IdentityFile ~/.ssh/id_fallback',
    '',
  ].join('\n');
}

beforeAll(() => {
  // The lab folder is readable by the login user; the files must not be writable by others (OpenSSH checks).
  dir = join(lab().dir, `ssh-g-${process.pid}`);
  sshDir = join(lab().home, '.ssh');
  marker = join(dir, 'marker');
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  mkdirSync(join(sshDir, 'inc'), { recursive: true, mode: 0o755 });
  writeFileSync(marker, '');
  configFile = join(dir, 'config');
  writeFileSync(configFile, configText(), { mode: 0o644 });
  writeFileSync(join(sshDir, 'inc', 'a.conf'), 'Host included\n  HostName inc.example\n  Port 2022\n  User incuser\nMatch host inc.example\n  IdentityFile ~/.ssh/inc_key\n', { mode: 0o644 });
  writeFileSync(join(sshDir, 'inc', 'b.conf'), 'Host web-1\n  HostKeyAlias web-one\nHost included\n  User not-first\n', { mode: 0o644 });
  writeFileSync(join(sshDir, 'extra.conf'), 'Host extra\n  HostName extra.example\n', { mode: 0o644 });
  writeFileSync(join(sshDir, 'cond.conf'), 'User conduser\nHost *\n  Port 2345\n', { mode: 0o644 });
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(sshDir, { recursive: true, force: true });
});

/** `ssh -G` as the lab user: keyword → values (one entry per line; a line's words joined by one space). */
function openSshView(host: string): Map<string, string[]> {
  const out = execFileSync('runuser', ['-u', lab().user, '--', 'ssh', '-G', '-F', configFile, host], {
    encoding: 'utf8',
    env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', HOME: lab().home, USER: lab().user },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const view = new Map<string, string[]>();
  for (const line of out.split('\n')) {
    const space = line.indexOf(' ');
    if (space <= 0) continue;
    const key = line.slice(0, space).toLowerCase();
    view.set(key, [...(view.get(key) ?? []), line.slice(space + 1)]);
  }
  return view;
}

/** drillbook's entry and resolved host in the same shape, its defaults put back to OpenSSH's. */
function drillbookView(config: LoadedSshConfig, host: string): Map<string, string[]> {
  const settings = { configFile, env: { HOME: lab().home, USER: lab().user, PATH: '/usr/bin:/bin' } };
  const entry: SshConfigEntry = config.lookup(host);
  const resolved: ResolvedHost | undefined = resolveTarget('t', sshTargetSchema.parse({ host, agent: false }), { baseDir: dir, settings, config }).hosts[0];
  if (!resolved) throw new Error('no host');
  if (resolved.hostKey.kind !== 'known-hosts') throw new Error('expected a known_hosts policy');
  const files = resolved.hostKey.files.map((file) => file.path);
  const global = entry.globalKnownHostsFiles ?? ['/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2'];
  const view = new Map<string, string[]>([
    ['hostname', [resolved.hostname]],
    ['user', [resolved.user]],
    ['port', [String(resolved.port)]],
    ['identityfile', entry.identityFiles.length > 0 ? entry.identityFiles : openSshDefaultIdentities],
    ['identitiesonly', [entry.identitiesOnly ? 'yes' : 'no']],
    ['userknownhostsfile', [files.slice(0, files.length - global.length).join(' ')]],
    ['globalknownhostsfile', [global.join(' ')]],
    ['connecttimeout', [entry.connectTimeoutMs === undefined ? 'none' : String(entry.connectTimeoutMs / 1_000)]],
    ['serveraliveinterval', [String((entry.keepaliveIntervalMs ?? 0) / 1_000)]],
    ['serveralivecountmax', [String(entry.keepaliveCountMax ?? 3)]],
  ]);
  if (entry.hostKeyAlias !== undefined) view.set('hostkeyalias', [entry.hostKeyAlias]);
  if (entry.proxyJump !== undefined) view.set('proxyjump', [entry.proxyJump]);
  if (entry.proxyCommand !== undefined) view.set('proxycommand', [entry.proxyCommand]);
  return view;
}

const compared = [
  'hostname',
  'user',
  'port',
  'identityfile',
  'identitiesonly',
  'userknownhostsfile',
  'globalknownhostsfile',
  'connecttimeout',
  'serveraliveinterval',
  'serveralivecountmax',
  'hostkeyalias',
  'proxyjump',
  'proxycommand',
] as const;

describe('the ssh config as OpenSSH itself resolves it (ssh -G)', () => {
  it.each(hosts.filter((host) => host !== 'cert'))('%s: every field drillbook reads equals ssh -G', async (host) => {
    const config = await loadSshConfig({ configFile, env: { HOME: lab().home, USER: lab().user } });
    const theirs = openSshView(host);
    const ours = drillbookView(config, host);
    expect(theirs.get('certificatefile')).toBeUndefined();
    for (const field of compared) expect({ field, value: ours.get(field) }).toEqual({ field, value: theirs.get(field) });
  });

  it('a host whose config sets CertificateFile: OpenSSH uses it, drillbook refuses naming the line', async () => {
    const config = await loadSshConfig({ configFile, env: { HOME: lab().home, USER: lab().user } });
    expect(openSshView('cert').get('certificatefile')).toEqual(['~/.ssh/cert.pub']);
    const line = configText().split('\n').indexOf('  CertificateFile ~/.ssh/cert.pub') + 1;
    expect(() => config.lookup('cert')).toThrow(`${configFile} line ${line}: CertificateFile ~/.ssh/cert.pub applies to cert, but drillbook cannot honour it`);
  });

  it('the hosts exercise what they claim to (so a silent agreement on defaults proves nothing)', () => {
    const field = (host: string, key: string): string[] | undefined => openSshView(host).get(key);
    expect(field('included', 'hostname')).toEqual(['inc.example']);
    expect(field('included', 'identityfile')).toEqual(['~/.ssh/inc_key', '~/.ssh/id_fallback']);
    expect(field('extra', 'hostname')).toEqual(['extra.example']);
    expect(field('cond-1', 'user')).toEqual(['conduser']);
    expect(field('cond-1', 'port')).toEqual(['2345']);
    expect(field('cond-1', 'hostkeyalias')).toEqual(['after-include']);
    expect(field('web-1', 'hostkeyalias')).toEqual(['web-one']);
    expect(field('web-internal', 'user')).toEqual([lab().user]);
    expect(field('db', 'serveraliveinterval')).toEqual(['15']);
    expect(field('DB', 'hostname')).toEqual(['db']);
    expect(field('execd', 'port')).toEqual(['2999']);
    expect(field('execd', 'hostkeyalias')).toEqual(['exec-negated']);
    expect(field('fin', 'port')).toEqual(['2400']);
    expect(field('fin', 'user')).toEqual(['finaluser']);
    expect(field('piped', 'proxycommand')).toEqual(['/usr/bin/nc -X connect -x proxy.example:3128 %h %p']);
    expect(field('jumped', 'proxycommand')).toBeUndefined();
  });
});
