import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveTarget, type ResolveContext } from '../../../runners/ssh/resolve.js';
import { loadSshConfig, type SshSettings } from '../../../runners/ssh/ssh-config.js';
import { inlineSshJumps, sshSecretRefs, sshTargetSchema, type SshTargetOptions } from '../../../src/scenario/targets/ssh.js';

const dir = mkdtempSync(join(tmpdir(), 'drillbook-sshcfg-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const home = join(dir, 'home');
const pin = `SHA256:${'A'.repeat(43)}`;

async function context(configText: string | undefined, env: Record<string, string> = {}): Promise<ResolveContext> {
  let configFile: string | false = false;
  if (configText !== undefined) {
    configFile = join(dir, `config-${Math.random().toString(16).slice(2)}`);
    writeFileSync(configFile, configText);
  }
  const settings: SshSettings = { configFile, env: { HOME: home, USER: 'me', ...env } };
  return { baseDir: join(dir, 'scenario'), settings, config: await loadSshConfig(settings) };
}

const target = (options: Record<string, unknown>): SshTargetOptions => sshTargetSchema.parse(options);

describe('resolving a target', () => {
  it('applies defaults, resolves paths against the scenario folder and home, and pins keys', async () => {
    const rc = await context(undefined, { SSH_AUTH_SOCK: '/run/agent.sock' });
    const [host] = resolveTarget('db', target({ host: 'db1.example', identityFile: 'keys/id', hostKey: pin }), rc).hosts;
    expect(host).toMatchObject({
      label: 'db1.example',
      hostname: 'db1.example',
      port: 22,
      user: 'me',
      identityFiles: [join(dir, 'scenario', 'keys/id')],
      defaultIdentities: false,
      agent: '/run/agent.sock',
      hostKey: { kind: 'pins', fingerprints: [pin] },
      connectTimeoutMs: 10_000,
      keepaliveIntervalMs: 5_000,
      keepaliveCountMax: 3,
    });
  });

  it('reads aliases from the ssh config: HostName (with %h), User, Port, IdentityFile, known hosts, ProxyJump chains', async () => {
    const rc = await context(
      [
        'Host db-*',
        '  HostName %h.internal',
        '  User ops',
        '  Port 2200',
        '  IdentityFile ~/.ssh/ops_%r',
        '  UserKnownHostsFile ~/.ssh/lab_known',
        '  ProxyJump admin@bastion1,bastion2:2022',
        '  ServerAliveInterval 2',
        'Host bastion1',
        '  HostName 192.0.2.1',
        'Host *',
        '  ConnectTimeout 4',
      ].join('\n'),
    );
    const [host] = resolveTarget('db', target({ host: 'db-1', agent: false }), rc).hosts;
    expect(host).toMatchObject({
      label: 'db-1',
      hostname: 'db-1.internal',
      port: 2200,
      user: 'ops',
      identityFiles: [join(home, '.ssh/ops_ops')],
      connectTimeoutMs: 4_000,
      keepaliveIntervalMs: 2_000,
      hostKey: {
        kind: 'known-hosts',
        files: [
          { path: join(home, '.ssh/lab_known'), required: false },
          { path: '/etc/ssh/ssh_known_hosts', required: false },
          { path: '/etc/ssh/ssh_known_hosts2', required: false },
        ],
      },
    });
    expect(host?.jump).toMatchObject({ label: 'bastion2', hostname: 'bastion2', port: 2022 });
    expect(host?.jump?.jump).toMatchObject({ label: 'bastion1', hostname: '192.0.2.1', user: 'admin', port: 22 });
    expect(host?.jump?.jump?.jump).toBeUndefined();
  });

  it('lets the target override the config and expands a group with per-host overrides', async () => {
    const rc = await context('Host app*\n  User cfguser\n  Port 2200\n');
    const resolved = resolveTarget(
      'web',
      target({ hosts: ['app1', { host: 'app2', port: 2300, hostKey: pin }], user: 'drill', knownHosts: 'kh', concurrency: 5, success: 'atLeast:1' }),
      rc,
    );
    expect(resolved.group).toBe(true);
    expect(resolved.concurrency).toBe(5);
    expect(resolved.rule).toEqual({ kind: 'atLeast', count: 1 });
    expect(resolved.hosts.map((h) => [h.label, h.user, h.port, h.hostKey.kind])).toEqual([
      ['app1', 'drill', 2200, 'known-hosts'],
      ['app2', 'drill', 2300, 'pins'],
    ]);
    expect(resolved.hosts[0]?.hostKey).toEqual({ kind: 'known-hosts', files: [{ path: join(dir, 'scenario', 'kh'), required: true }] });
  });

  it('reports an unreadable named config and agent: true without an agent', async () => {
    await expect(loadSshConfig({ configFile: join(dir, 'missing'), env: { HOME: home } })).rejects.toMatchObject({ code: 'SSH_CONFIG' });
    const rc = await context(undefined);
    expect(() => resolveTarget('db', target({ host: 'db1', agent: true }), rc)).toThrow(/agent: true, but SSH_AUTH_SOCK is not set/);
  });
});

describe('the target schema', () => {
  it('accepts one host or a group, and says what is wrong otherwise', () => {
    expect(sshTargetSchema.safeParse({ host: 'a', hostKey: [pin, pin] }).success).toBe(true);
    const problems = (value: unknown): string[] => {
      const result = sshTargetSchema.safeParse(value);
      return result.success ? [] : result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    };
    expect(problems({})).toEqual(['host: an ssh target needs exactly one of `host` (one host) or `hosts` (a group)']);
    expect(problems({ host: 'a', hostKey: 'MD5:xx' })).toEqual([
      'hostKey: expected a host key fingerprint as `ssh-keygen -lf` prints it: SHA256: followed by 43 base64 characters',
    ]);
    expect(problems({ host: 'a', concurrency: 3 })).toEqual(['concurrency: `concurrency` only applies to a group (`hosts`)']);
    expect(problems({ hosts: ['a'], success: { atLeast: 2 } })).toEqual(['success: success rule needs 2 passing hosts but the group has only 1']);
    expect(problems({ host: 'a', hostKey: pin, insecureAcceptAnyHostKey: true })).toEqual([
      'insecureAcceptAnyHostKey: `insecureAcceptAnyHostKey` cannot be combined with `hostKey` or `knownHosts`',
    ]);
    expect(problems({ host: 'a b' })[0]).toMatch(/^host: expected a host name/);
    expect(problems({ host: 'a', passphrase: '${{ secrets.X }}' })).toEqual(['passphrase: expected the name of a declared secret']);
  });

  it('inlines jump targets and reports unknown, non-ssh, group and cyclic jumps', () => {
    const targets = {
      bastion: target({ host: 'b', user: 'jump', passphrase: 'JUMP_KEY' }),
      db: target({ host: 'db', jump: 'bastion', passphrase: 'DB_KEY' }),
      loop1: target({ host: 'x', jump: 'loop2' }),
      loop2: target({ host: 'y', jump: 'loop1' }),
      group: target({ hosts: ['a', 'b'] }),
      viaGroup: target({ host: 'z', jump: 'group' }),
      viaHttp: target({ host: 'z', jump: 'web' }),
      viaNothing: target({ host: 'z', jump: 'nope' }),
    };
    const { targets: inlined, problems } = inlineSshJumps(targets, ['web']);
    expect(inlined.db?.jump).toEqual({ host: 'b', user: 'jump', passphrase: 'JUMP_KEY' });
    expect(sshSecretRefs(inlined.db ?? {})).toEqual(['DB_KEY', 'JUMP_KEY']);
    expect(problems).toEqual([
      { target: 'loop1', message: 'jump hosts form a cycle: loop1 → loop2 → loop1' },
      { target: 'loop2', message: 'jump hosts form a cycle: loop2 → loop1 → loop2' },
      { target: 'viaGroup', message: 'jump `group` is a group; a bastion must be one host' },
      { target: 'viaHttp', message: 'jump `web` is not an ssh target' },
      { target: 'viaNothing', message: 'jump `nope` is not a declared target' },
    ]);
    // What the validator hands over parses again unchanged: the runner re-checks it.
    expect(sshTargetSchema.parse(inlined.db)).toEqual(inlined.db);
  });
});
