import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunRecord } from '../../src/evidence/run-record.js';
import { useSshLab } from '../lab/use-ssh-lab.js';
import { drillbook, workspace, writeScenario } from './support.js';

const lab = useSshLab();

const target = (hostKey: string): string => {
  const l = lab();
  return `targets:
  db:
    ssh: { host: ${l.loopback.address}, port: ${l.loopback.port}, user: ${l.user}, identityFile: ${l.clientKey}, hostKey: "${hostKey}", agent: false }
`;
};

describe('ssh through the built CLI (real sshd)', () => {
  it('check reports a ready host with its fingerprint', async () => {
    const dir = workspace();
    const file = writeScenario(dir, 'ssh-ready', `${target(lab().loopback.hostKey)}steps:\n  - { id: hello, uses: ssh, on: db, run: [uname, -s] }\n`);
    const result = await drillbook(['check', file, '--ssh-config', '/dev/null']);
    expect(result.stdout).toContain(`ssh db ${lab().loopback.address}: route direct to ${lab().loopback.address} (${lab().loopback.address}:${lab().loopback.port})\n`);
    expect(result.stdout).toContain(`ssh db ${lab().loopback.address}: ready`);
    expect(result.stdout).toContain(lab().loopback.hostKey);
    expect(result.stdout).toContain('ssh-ready.yaml: ready');
    expect(result.exitCode).toBe(0);
  });

  it('a wrong pinned host key stops the run before any step (exit 4) and names both fingerprints', async () => {
    const dir = workspace();
    const wrong = 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
    const file = writeScenario(dir, 'ssh-wrong-key', `${target(wrong)}steps:\n  - { id: hello, uses: ssh, on: db, run: [uname, -s] }\n`);
    const out = join(dir, 'bundle');
    const result = await drillbook(['run', file, '--out', out, '--ssh-config', '/dev/null']);
    expect(result.exitCode).toBe(4);
    expect(result.stderr).toContain(wrong);
    expect(result.stderr).toContain(lab().loopback.hostKey);
    expect(result.stderr).toContain('readiness check failed; nothing ran');
  });

  it('runs a step over ssh and records its output digest', async () => {
    const dir = workspace();
    const file = writeScenario(
      dir,
      'ssh-run',
      `${target(lab().loopback.hostKey)}steps:\n  - { id: hello, uses: ssh, on: db, run: [printf, '%s', "it's $HOME; rm -rf /"], expect: { stdout: "rm -rf" } }\n`,
    );
    const out = join(dir, 'bundle');
    const result = await drillbook(['run', file, '--out', out, '--ssh-config', '/dev/null']);
    expect(result.exitCode).toBe(0);
    const record = (JSON.parse(readFileSync(join(out, 'record.json'), 'utf8')) as { predicate: RunRecord }).predicate;
    expect(record.steps[0]?.status).toBe('passed');
    expect(record.targets).toEqual([
      { name: 'db', kind: 'ssh', address: `${lab().loopback.address}:${lab().loopback.port}`, hostKeyFingerprint: lab().loopback.hostKey },
    ]);
    expect(readFileSync(join(out, 'logs', 'hello', '1.stdout.log'), 'utf8')).toBe("it's $HOME; rm -rf /");
  });
});
