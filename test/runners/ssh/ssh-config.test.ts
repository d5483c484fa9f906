import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveTarget } from '../../../runners/ssh/resolve.js';
import { loadSshConfig, type LoadedSshConfig } from '../../../runners/ssh/ssh-config.js';
import { argvSplit, convtime, matchPattern, matchPatternList, splitConfigLine } from '../../../runners/ssh/ssh-config-text.js';
import { sshTargetSchema } from '../../../src/scenario/targets/ssh.js';

const dir = mkdtempSync(join(tmpdir(), 'drillbook-sshconfig-'));
const home = join(dir, 'home');
mkdirSync(join(home, '.ssh', 'conf.d'), { recursive: true });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let counter = 0;
/** Writes the main config (and any extra files, relative to home) and loads it as `--ssh-config` would. */
async function load(main: string, extra: Record<string, string> = {}, env: Record<string, string> = {}): Promise<{ config: LoadedSshConfig; file: string }> {
  for (const [path, text] of Object.entries(extra)) {
    mkdirSync(join(home, path, '..'), { recursive: true });
    writeFileSync(join(home, path), text, { mode: 0o644 });
  }
  counter += 1;
  const file = join(dir, `config-${counter}`);
  writeFileSync(file, main);
  return { config: await loadSshConfig({ configFile: file, env: { HOME: home, USER: 'me', ...env } }), file };
}

describe('ssh_config text, as readconf.c reads it', () => {
  it('splits keyword and arguments with `=`, quotes, escapes and trailing comments', () => {
    expect(splitConfigLine('  HostName = db.example  ')).toEqual({ keyword: 'hostname', rest: 'db.example' });
    expect(splitConfigLine('Port=2222')).toEqual({ keyword: 'port', rest: '2222' });
    expect(splitConfigLine('   # a comment')).toBeUndefined();
    expect(splitConfigLine('')).toBeUndefined();
    expect(() => splitConfigLine('User')).toThrow('no argument after keyword "user"');
    expect(argvSplit('"/a b" c\\ d \'e"f\' # comment')).toEqual(['/a b', 'c d', 'e"f']);
    expect(argvSplit('x#y')).toEqual(['x#y']);
    expect(argvSplit('"unterminated')).toBeUndefined();
  });

  it('matches wildcards, negated pattern lists and OpenSSH time values', () => {
    expect(matchPattern('web-12.example', 'web-*.example')).toBe(true);
    expect(matchPattern('web-1', 'web-?')).toBe(true);
    expect(matchPattern('Web-1', 'web-*')).toBe(false);
    expect(matchPattern('aXbXc', 'a*b*c')).toBe(true);
    expect(matchPatternList('db1', 'db*,!db2', false)).toBe(1);
    expect(matchPatternList('db2', 'db*,!db2', false)).toBe(-1);
    expect(matchPatternList('web', 'db*', false)).toBe(0);
    expect([convtime('90'), convtime('1m30s'), convtime('2H'), convtime('1x'), convtime('')]).toEqual([90, 90, 7_200, undefined, undefined]);
  });
});

describe('resolving one host through the config', () => {
  it('takes the first value obtained, in file order, across Host blocks and wildcards', async () => {
    const { config } = await load(['Host db', '  Port 2201', 'Host d*', '  Port 2202', '  User ops', 'Host *', '  User everyone', '  IdentityFile ~/.ssh/a', '  IdentityFile ~/.ssh/a'].join('\n'));
    expect(config.lookup('db')).toMatchObject({ port: 2201, user: 'ops', identityFiles: ['~/.ssh/a'] });
    expect(config.lookup('other')).toMatchObject({ user: 'everyone' });
    expect(config.lookup('db').port).toBe(2201);
    // The target's own user is a command-line option: config User lines no longer apply.
    expect(config.lookup('db', { user: 'mine' }).user).toBe('mine');
  });

  it('skips a Host block on a negated match, and matches Host patterns case-sensitively', async () => {
    const { config } = await load(['Host web-* !web-internal', '  User webops', 'Host Web', '  Port 1'].join('\n'));
    expect(config.lookup('web-1').user).toBe('webops');
    expect(config.lookup('web-internal').user).toBeUndefined();
    expect(config.lookup('web').port).toBeUndefined();
  });

  it('evaluates Match host against the HostName already set, and Match user against the User so far', async () => {
    const { config } = await load(
      ['Host alias', '  HostName REAL.example', 'Match host real.example', '  Port 2300', 'Match user dba', '  ConnectTimeout 4', 'Host *', '  User dba'].join('\n'),
    );
    // User dba comes after the Match user line: it was not set yet when that line was read.
    expect(config.lookup('alias')).toMatchObject({ hostName: 'REAL.example', port: 2300, user: 'dba' });
    expect(config.lookup('alias').connectTimeoutMs).toBeUndefined();
    expect(config.lookup('alias', { user: 'dba' }).connectTimeoutMs).toBe(4_000);
  });

  it('runs Match exec only when the criteria before it matched, with tokens expanded', async () => {
    const proof = join(dir, 'exec-ran');
    const marker = join(dir, 'exec-marker');
    writeFileSync(marker, '');
    const { config } = await load(
      [
        `Match host nomatch exec "touch ${proof}"`,
        '  Port 1',
        `Match exec "test -e ${marker} && test %h = db.example && test %n = db"`,
        '  Port 2400',
        'Host db',
        '  HostName db.example',
      ].join('\n'),
    );
    expect(config.lookup('db').port).toBeUndefined();
    expect(existsSync(proof)).toBe(false);
    const { config: after } = await load(['Host db', '  HostName db.example', `Match exec "test -e ${marker} && test %h = db.example && test %n = db"`, '  Port 2400'].join('\n'));
    expect(after.lookup('db').port).toBe(2400);
    expect(after.lookup('other').port).toBeUndefined();
  });

  it('makes the second pass for Match final, matching Host lines against the host name', async () => {
    const { config } = await load(['Host fin', '  HostName FINAL.example', 'Match final host final.example', '  Port 2345', 'Host final.example', '  User late'].join('\n'));
    expect(config.lookup('fin')).toMatchObject({ port: 2345, user: 'late' });
  });

  it('follows Include: globs in order, relative to ~/.ssh, conditional inside a Host block, state restored after', async () => {
    const { config } = await load(
      ['Include conf.d/*.conf', 'Host cond-*', '  Include ~/.ssh/cond', '  HostKeyAlias after-include', 'Host *', '  Port 2999'].join('\n'),
      {
        '.ssh/conf.d/b.conf': 'Host inc\n  User from-b\n',
        '.ssh/conf.d/a.conf': 'Host inc\n  HostName inc.example\n  User from-a\n',
        '.ssh/conf.d/.hidden.conf': 'Host inc\n  Port 1\n',
        '.ssh/cond': 'User cond-user\nHost *\n  Port 2345\n',
      },
    );
    expect(config.lookup('inc')).toMatchObject({ hostName: 'inc.example', user: 'from-a', port: 2999 });
    expect(config.lookup('cond-1')).toMatchObject({ user: 'cond-user', port: 2345, hostKeyAlias: 'after-include' });
    // For other hosts the included file is read but none of it applies, not even its own `Host *`.
    expect(config.lookup('other')).toMatchObject({ port: 2999 });
    expect(config.lookup('other').user).toBeUndefined();
    expect(config.files.map((file) => file.replace(home, '~'))).toEqual([expect.stringMatching(/config-\d+$/), '~/.ssh/conf.d/a.conf', '~/.ssh/conf.d/b.conf', '~/.ssh/cond']);
  });

  it('refuses includes nested more than 16 deep, and included files others may write', async () => {
    await expect(load('Include loop', { '.ssh/loop': 'Include loop\n' })).rejects.toMatchObject({
      code: 'SSH_CONFIG',
      message: `${join(home, '.ssh', 'loop')}: more than 16 levels of Include (does a file include itself?)`,
    });
    const deep: Record<string, string> = {};
    for (let level = 1; level <= 16; level += 1) deep[`.ssh/deep${level}`] = level < 16 ? `Include deep${level + 1}\n` : 'Host *\n  Port 2016\n';
    expect((await load('Include deep1', deep)).config.lookup('x').port).toBe(2016);

    writeFileSync(join(home, '.ssh', 'writable'), 'Host *\n  Port 1\n');
    chmodSync(join(home, '.ssh', 'writable'), 0o666);
    await expect(load('Include writable')).rejects.toThrow(`bad owner or permissions on ${join(home, '.ssh', 'writable')}`);
  });

  it('lets the first of ProxyJump and ProxyCommand win, and `none` settle it', async () => {
    const { config } = await load(
      [
        'Host pc',
        '  ProxyCommand nc %h %p # kept: the shell reads the comment',
        '  ProxyJump bastion',
        'Host pj',
        '  ProxyJump user@bastion:2022,relay',
        '  ProxyCommand nc %h %p',
        'Host off',
        '  ProxyCommand none',
        '  ProxyJump bastion',
        'Host *',
        '  ProxyJump fallback',
      ].join('\n'),
    );
    expect(config.lookup('pc')).toMatchObject({ proxyCommand: 'nc %h %p # kept: the shell reads the comment' });
    expect(config.lookup('pc').proxyJump).toBeUndefined();
    expect(config.lookup('pj')).toMatchObject({ proxyJump: 'user@bastion:2022,relay' });
    expect(config.lookup('pj').proxyCommand).toBeUndefined();
    expect(config.lookup('off').proxyJump).toBeUndefined();
    expect(config.lookup('off').proxyCommand).toBeUndefined();
    expect(config.lookup('other').proxyJump).toBe('fallback');
  });

  it('says which file and line set a keyword drillbook cannot honour, and only for the hosts it applies to', async () => {
    const { config, file } = await load(['Host agentless', '  ForwardAgent no', 'Host *', '  ForwardAgent yes', 'Host cert', '  CertificateFile ~/.ssh/id_cert.pub'].join('\n'));
    expect(config.lookup('agentless').identityFiles).toEqual([]);
    expect(() => config.lookup('other')).toThrow(
      `${file} line 4: ForwardAgent yes applies to other, but drillbook cannot honour it (the agent is not forwarded to the host); remove it or limit it to hosts drillbook does not reach`,
    );
    expect(() => config.lookup('agentless')).not.toThrow();
    const { config: certs, file: certFile } = await load('Host cert\n  CertificateFile ~/.ssh/id_cert.pub\n');
    expect(() => certs.lookup('cert')).toThrow(`${certFile} line 2: CertificateFile ~/.ssh/id_cert.pub applies to cert`);
    expect(() => certs.lookup('other')).not.toThrow();
  });

  it('rejects keywords OpenSSH does not know, unless IgnoreUnknown names them, and malformed values anywhere', async () => {
    const { config, file } = await load('Host nothing-matches\n  FrobnicateHost yes\n');
    expect(() => config.lookup('x')).toThrow(`${file} line 2: Bad configuration option: frobnicatehost (unknown to OpenSSH 9.2 and to drillbook; IgnoreUnknown skips it)`);
    const { config: tolerant } = await load('IgnoreUnknown Frob*,UseKeychain\nHost *\n  FrobnicateHost yes\n  UseKeychain yes\n  Port 2201\n');
    expect(tolerant.lookup('x').port).toBe(2201);
    const { config: badPort, file: badFile } = await load('Host elsewhere\n  Port ssh-please\n');
    expect(() => badPort.lookup('x')).toThrow(`${badFile} line 2: Bad port 'ssh-please'`);
    await expect(load('Host x\n  HostName "unterminated\n')).rejects.toThrow(/line 2: invalid quotes$/);
    const { config: badMatch } = await load('Match localnetwork 10.0.0.0/8\n  Port 1\n');
    expect(() => badMatch.lookup('x')).toThrow(/Unsupported Match attribute localnetwork/);
  });

  it('expands ~, ${VAR} and % tokens in IdentityFile and UserKnownHostsFile when resolving', async () => {
    const { config } = await load(
      ['Host db', '  HostName DB.Example', '  User dba', '  IdentityFile ${KEYS}/%r@%h', '  UserKnownHostsFile ~/.ssh/kh_%n_%p %d/kh2', '  IdentitiesOnly yes'].join('\n'),
      {},
      { KEYS: '/keys' },
    );
    const settings = { configFile: false as const, env: { HOME: home, USER: 'me', KEYS: '/keys' } };
    const [host] = resolveTarget('db', sshTargetSchema.parse({ host: 'db', agent: false }), { baseDir: dir, settings, config }).hosts;
    expect(host).toMatchObject({
      hostname: 'db.example',
      user: 'dba',
      identityFiles: ['/keys/dba@db.example'],
      identitiesOnly: true,
      hostKey: {
        kind: 'known-hosts',
        files: [join(home, '.ssh/kh_db_22'), join(home, 'kh2'), '/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2'].map((path) => ({ path, required: false })),
      },
    });
    const { config: unset } = await load('Host *\n  IdentityFile ${NOT_SET}/key\n');
    expect(() => resolveTarget('db', sshTargetSchema.parse({ host: 'db', agent: false }), { baseDir: dir, settings, config: unset })).toThrow(
      /environment variable NOT_SET has no value/,
    );
  });
});
