/**
 * The register's commands through the built CLI: due (exit 5 when overdue, 2 without trusted keys),
 * history, run-due (real drills, a webhook on FAIL), schedule (SIGTERM lets the drill finish; a second
 * SIGTERM interrupts it) and dashboard.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testKeys } from '../evidence/fixtures.js';
import { startReceiver, type Receiver } from '../register/receiver.js';
import { drillbook, workspace, writeScenario } from './support.js';

const waitFor = async (check: () => boolean, ms = 20_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
};

function setup(): { dir: string; env: Record<string, string>; trust: string[]; sign: string[] } {
  const dir = workspace();
  const keys = testKeys();
  writeFileSync(join(dir, 'ops.pub'), keys.publicKeyPem);
  writeFileSync(join(dir, 'ops.key'), keys.privateKeyPem, { mode: 0o600 });
  mkdirSync(join(dir, 'scenarios'));
  return { dir, env: { XDG_CACHE_HOME: join(dir, 'cache') }, trust: ['--trust', 'ops.pub'], sign: ['--sign-key', 'ops.key'] };
}

let receiver: Receiver;
beforeAll(async () => {
  receiver = await startReceiver();
});
afterAll(() => receiver.close());

describe('drillbook due / history / run-due (built CLI)', () => {
  it('due refuses without trusted keys (exit 2) and explains; run-due runs what is due; due and history show it', async () => {
    const { dir, env, trust, sign } = setup();
    writeScenario(join(dir, 'scenarios'), 'nightly', 'cadence: 1d\nsteps:\n  - id: pause\n    uses: wait\n    with: { duration: 10ms }\n');
    writeScenario(join(dir, 'scenarios'), 'by-hand', 'steps:\n  - id: pause\n    uses: wait\n    with: { duration: 10ms }\n');

    const refused = await drillbook(['due'], { cwd: dir, env });
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toBe(
      'drillbook: no trusted keys: without them no run can count as a verified pass\n  hint: pass --trust KEY.pub (repeatable, or DRILLBOOK_TRUST=a.pub:b.pub), or --unverified to read the store without checking signatures (integrity only; every run is marked unverified)',
    );

    const before = await drillbook(['due', ...trust, '--json'], { cwd: dir, env });
    expect(before.exitCode).toBe(0);
    const register = JSON.parse(before.stdout) as { trust: string; counts: Record<string, number>; scenarios: { id: string; status: string; nextDue: string | null }[] };
    expect(register.trust).toBe('verified');
    expect(register.scenarios.map((s) => [s.id, s.status])).toEqual([
      ['by-hand', 'never-run'],
      ['nightly', 'never-run'],
    ]);
    expect((await drillbook(['due', ...trust, '--fail-on', 'never-run'], { cwd: dir, env })).exitCode).toBe(5);

    const ran = await drillbook(['run-due', ...trust, ...sign], { cwd: dir, env });
    expect(ran.exitCode).toBe(0);
    expect(ran.stdout).toMatch(/^run {3}nightly: never run\nstart nightly: run (\S+) → reports\/nightly\/\1\nPASS {2}nightly: run \1 in \S+$/m);
    const again = await drillbook(['run-due', ...trust, ...sign], { cwd: dir, env });
    expect(again.stdout).toMatch(/\nnothing to start$/);

    const after = await drillbook(['due', ...trust], { cwd: dir, env });
    expect(after.exitCode).toBe(0);
    expect(after.stdout).toMatch(/^nightly {3}ok {9}\d{4}-\d\d-\d\d PASS {2}\d{4}-\d\d-\d\d PASS {2}\d{4}-\d\d-\d\d \d\d:\d\d UTC {2}tests$/m);
    expect(existsSync(join(dir, 'cache', 'drillbook', 'verified'))).toBe(true);

    // A day and a bit later the nightly scenario is overdue: exit 5.
    const later = new Date(Date.now() + 26 * 3_600_000).toISOString();
    const overdue = await drillbook(['due', ...trust, '--at', later], { cwd: dir, env });
    expect(overdue.exitCode).toBe(5);
    expect(overdue.stdout).toMatch(/^nightly {3}OVERDUE/m);

    const history = await drillbook(['history', 'nightly', ...trust, '--json'], { cwd: dir, env });
    expect(history.exitCode).toBe(0);
    const runs = (JSON.parse(history.stdout) as { scenarios: { runs: { verdict: string; verification: string }[] }[] }).scenarios[0]?.runs;
    expect(runs?.map((r) => [r.verdict, r.verification])).toEqual([['PASS', 'verified']]);
    const untrusted = await drillbook(['history', 'nightly'], { cwd: dir, env });
    expect(untrusted.stdout).toContain('UNVERIFIED: no trusted keys were given; signatures were not checked and no run counts as verified evidence');
    expect(untrusted.stdout).toMatch(/ PASS {5}unverified /);
    const unknown = await drillbook(['history', 'nightli', ...trust], { cwd: dir, env });
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toBe('drillbook: no runs of scenario "nightli" in reports\n  hint: did you mean "nightly"?');

    const site = await drillbook(['dashboard', '--out', 'site', ...trust], { cwd: dir, env });
    expect(site.exitCode).toBe(0);
    expect(site.stdout).toBe('dashboard: site/index.html · 2 scenarios, 0 overdue, 1 run reports');
    expect(readFileSync(join(dir, 'site', 'index.html'), 'utf8')).toContain('<title>drillbook register (0 overdue)</title>');
  });

  it('run-due exits 1 when a drill fails and tells the webhook', async () => {
    const { dir, env, trust, sign } = setup();
    writeScenario(join(dir, 'scenarios'), 'broken-restore', 'cadence: 7d\nsteps:\n  - id: restore\n    uses: local\n    run: [node, -e, "process.exit(3)"]\n');
    const result = await drillbook(['run-due', ...trust, ...sign, '--webhook', `${receiver.url}/alerts`], { cwd: dir, env });
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(/^FAIL {2}broken-restore: run \S+ in \S+$/m);
    const alert = receiver.received.find((r) => r.path === '/alerts');
    expect(alert?.body).toMatchObject({ source: 'drillbook', event: 'run.finished', scenario: { id: 'broken-restore', owner: 'tests' }, run: { verdict: 'FAIL', signed: true } });
    expect((alert?.body as { run: { bundle: string } }).run.bundle).toMatch(/^reports\/broken-restore\/\d{8}T\d{6}Z-[0-9a-f]{6}$/);
  });
});

describe('drillbook schedule (built CLI)', () => {
  const drill = (dir: string) =>
    writeScenario(
      join(dir, 'scenarios'),
      'held',
      `cadence: 1d\nsteps:\n  - id: hold\n    uses: local\n    run: [node, -e, "const fs = require('fs'); fs.writeFileSync(process.argv[1], String(process.pid)); const t = setInterval(() => { if (fs.existsSync(process.argv[2])) clearInterval(t); }, 20)", "${join(dir, 'started')}", "${join(dir, 'release')}"]\n`,
    );

  it('SIGTERM lets the running drill finish normally (PASS, evidence sealed), then exits 0', async () => {
    const { dir, env, trust, sign } = setup();
    drill(dir);
    const child = drillbook(['schedule', ...trust, ...sign, '--interval', '1h'], { cwd: dir, env });
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
    await waitFor(() => existsSync(join(dir, 'started')));
    child.kill('SIGTERM');
    await waitFor(() => out.includes(' stopping: '));
    writeFileSync(join(dir, 'release'), '');
    const result = await child;
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/ start held: run (\S+) \(never run\)\n/);
    expect(result.stdout).toMatch(/ stopping: waiting for held to finish \(signal again to interrupt\)\n/);
    expect(result.stdout).toMatch(/ PASS held: run \S+\n\S+ stopped$/);
    const history = await drillbook(['history', 'held', ...trust, '--json'], { cwd: dir, env });
    expect((JSON.parse(history.stdout) as { scenarios: { runs: { verdict: string; verification: string }[] }[] }).scenarios[0]?.runs.map((r) => [r.verdict, r.verification])).toEqual([['PASS', 'verified']]);
  });

  it('a second SIGTERM interrupts the drill: cleanup, ABORTED record, exit 143', async () => {
    const { dir, env, trust, sign } = setup();
    drill(dir);
    const child = drillbook(['schedule', ...trust, ...sign, '--interval', '1h'], { cwd: dir, env });
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
    await waitFor(() => existsSync(join(dir, 'started')));
    child.kill('SIGTERM');
    await waitFor(() => out.includes(' stopping: '));
    child.kill('SIGTERM');
    const result = await child;
    expect(result.exitCode).toBe(143);
    expect(result.stderr).toContain('drillbook: SIGTERM: interrupting running drills (their cleanup runs; records will say ABORTED)');
    expect(result.stdout).toMatch(/ ABORTED held: run \S+\n/);
  });
});
