import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkSshTargets, describeCheckFailures } from '../../../runners/ssh/preflight.js';
import { labHost } from '../../lab/lab.js';
import { useSshLab } from '../../lab/use-ssh-lab.js';
import { hostOptions, labSettings, loopbackOptions, sshTarget } from './support.js';

const lab = useSshLab();
const scratch = mkdtempSync(join(tmpdir(), 'drillbook-preflight-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(scratch, 'other')]);
const otherPin = execFileSync('ssh-keygen', ['-lf', join(scratch, 'other.pub')], { encoding: 'utf8' }).split(' ')[1] ?? '';

describe('checkSshTargets (readiness check)', () => {
  it('checks host key, authentication and commands of every host, and says which host failed and why', async () => {
    const down = lab().subnet.replace(/\.0\/24$/, '.99');
    const targets = {
      db: sshTarget('db', loopbackOptions(lab())),
      root: sshTarget('root', loopbackOptions(lab(), { user: 'root' })),
      spoofed: sshTarget('spoofed', loopbackOptions(lab(), { hostKey: otherPin })),
      locked: sshTarget('locked', loopbackOptions(lab(), { identityFile: join(scratch, 'other') })),
      pair: sshTarget('pair', {
        ...hostOptions(lab(), 'h1'),
        host: undefined,
        hostKey: [labHost(lab(), 'h1').hostKey, labHost(lab(), 'h2').hostKey],
        hosts: [labHost(lab(), 'h1').address, labHost(lab(), 'h2').address, down],
        connectTimeout: '1s',
        success: 'atLeast:2',
      }),
      web: { name: 'web', kind: 'http', baseUrl: 'http://127.0.0.1:1' } as const,
    };
    const result = await checkSshTargets(
      targets,
      {
        db: ['sh', 'printf', 'definitely-not-installed', { command: 'id', sudo: true }],
        root: [{ command: 'id', sudo: true }, { command: 'no-such-tool', sudo: true }],
        pair: ['hostname'],
      },
      { baseDir: scratch, settings: labSettings(lab()) },
    );
    const summary = Object.fromEntries(result.targets.map((t) => [t.target, { ok: t.ok, hosts: t.hosts.map((h) => [h.host, h.ok, h.stage ?? 'ok', h.error?.code ?? '']) }]));
    expect(summary).toEqual({
      db: { ok: false, hosts: [['127.0.0.1', false, 'commands', 'SUDO_REFUSED']] },
      root: { ok: false, hosts: [['127.0.0.1', false, 'commands', 'COMMAND_NOT_FOUND']] },
      spoofed: { ok: false, hosts: [['127.0.0.1', false, 'host-key', 'HOST_KEY_MISMATCH']] },
      locked: { ok: false, hosts: [['127.0.0.1', false, 'auth', 'AUTH_FAILED']] },
      pair: {
        ok: true,
        hosts: [
          [labHost(lab(), 'h1').address, true, 'ok', ''],
          [labHost(lab(), 'h2').address, true, 'ok', ''],
          [down, false, 'connect', 'CONNECT_TIMEOUT'],
        ],
      },
    });
    expect(result.ok).toBe(false);
    const [root] = result.targets.find((t) => t.target === 'root')?.hosts ?? [];
    expect(root?.missing).toEqual(['no-such-tool (sudo)']);
    expect(root?.error?.message).toBe('not found on 127.0.0.1: no-such-tool (sudo)');
    const [spoofed] = result.targets.find((t) => t.target === 'spoofed')?.hosts ?? [];
    expect(spoofed?.hostKey).toEqual([expect.objectContaining({ fingerprint: lab().loopback.hostKey, verifiedBy: 'refused' })]);
    expect(describeCheckFailures(result)).toContain(`spoofed/127.0.0.1: host-key: ${spoofed?.error?.message ?? ''}`);
  });

  it('passes when everything is in place, and reports the keys it verified', async () => {
    const result = await checkSshTargets({ db: sshTarget('db', loopbackOptions(lab())) }, { db: ['sh', '/bin/true'] }, { baseDir: scratch, settings: labSettings(lab()) });
    expect(result.ok).toBe(true);
    expect(result.targets[0]?.hosts[0]).toMatchObject({ ok: true, missing: [], hostKey: [{ fingerprint: lab().loopback.hostKey, verifiedBy: 'pinned' }] });
  });

  it('reports a target that cannot be resolved at the config stage', async () => {
    const result = await checkSshTargets({ bad: sshTarget('bad', { host: 'x', hosts: ['y'] }) }, {}, { baseDir: scratch, settings: labSettings(lab()) });
    expect(result.targets).toEqual([
      {
        target: 'bad',
        ok: false,
        hosts: [
          {
            target: 'bad',
            host: 'bad',
            ok: false,
            stage: 'config',
            error: { code: 'SSH_CONFIG', message: 'target bad: host: an ssh target needs exactly one of `host` (one host) or `hosts` (a group)' },
            hostKey: [],
            missing: [],
            durationMs: 0,
          },
        ],
      },
    ]);
  });
});
