/**
 * `drillbook runbook`: every step of the scenario in the order it runs, with the command as it will run (vars
 * resolved, secrets and run-time values as references, never a secret's value), what success looks like, its
 * limits and blank columns for times; HTML escaped; every sample prints to PDF in Chromium.
 */
import { trustFile } from '../../src/register/scan-scenarios.js';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { execa } from 'execa';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinRunners } from '../../runners/index.js';
import { loadScenario } from '../../src/scenario/validate.js';
import { drillbook, readRecord, workspace, writeScenario } from './support.js';

const body = `vars: { region: eu-west-3, marker: /tmp/default }
secrets: { token: { env: RUNBOOK_TOKEN } }
targets:
  db: { ssh: { host: db1.example, knownHosts: kh } }
preconditions:
  - { id: reachable, uses: http, with: { url: "http://127.0.0.1:1/health?<check>" } }
steps:
  - { id: stop, name: "Stop the <primary>", uses: local, run: [systemctl, stop, "svc \${{ vars.region }}"], marks: [t0], retry: { attempts: 3, backoff: 2s } }
  - id: both
    parallel:
      - { id: promote, uses: ssh, on: db, run: [pg_ctl, promote, "--token=\${{ secrets.token }}"], expect: { exitCode: [0, 3] } }
      - { id: warm, uses: wait, with: { duration: 5s } }
  - { id: check, uses: local, run: [test, -f, "\${{ vars.marker }}"], timeout: 30s, marks: [recovered] }
cleanup:
  - { id: undo, uses: local, run: [systemctl, start, svc] }
`;

describe('drillbook runbook', () => {
  it('lists every step in running order with its command as it will run, and never a secret value', async () => {
    const dir = workspace();
    const file = writeScenario(dir, 'by-hand', body);
    const result = await drillbook(['runbook', file, '--var', 'marker=/srv/flag'], { env: { RUNBOOK_TOKEN: 'Sup3r-Secret-Value' } });
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    const md = result.stdout;
    expect(md).not.toContain('Sup3r-Secret-Value');
    const rows = md.split('\n').filter((line) => /^\| \d/.test(line));
    expect(rows.map((row) => row.split(' | ')[1])).toEqual(['reachable', 'stop: Stop the <primary>', 'promote', 'warm', 'check', 'undo']);
    expect(rows.map((row) => row.slice(2, row.indexOf(' |')))).toEqual(['1', '2', '3a', '3b', '4', '5']);
    expect(md).toContain(
      "| `systemctl stop 'svc eu-west-3'` | exit code 0 | try again, up to 3 times in all, 2s apart; then stop the steps and go to the cleanup (step 5); the drill counts as FAIL | timeout 10m; 3 attempts, 2s apart; marks t0 when it passes |  |  |",
    );
    expect(md).toContain("| `pg_ctl promote '--token=<secret token>'` | exit code 0 or 3 |");
    expect(md).toContain('| `test -f /srv/flag` | exit code 0 | stop the steps and go to the cleanup (step 5); the drill counts as FAIL | timeout 30s; marks recovered when it passes |');
    expect(md).toContain('- `db` ssh: host "db1.example", knownHosts "kh"');
    expect(md).toMatch(/## Cleanup\n\nAlways, once the steps have started/);

    const html = (await drillbook(['runbook', file, '--format', 'html'], { env: { RUNBOOK_TOKEN: 'Sup3r-Secret-Value' } })).stdout;
    expect(html).toContain('<b>stop</b><br>Stop the &lt;primary&gt;');
    expect(html).toContain('<code>test -f /tmp/default</code>');
    expect(html).not.toContain('<primary>');
    expect(html).not.toContain('Sup3r-Secret-Value');
    expect((html.match(/<td class="blank"><\/td>/g) ?? []).length).toBe(12);
  });

  it('gives a manual step to its person as a task: instructions, a checklist, blanks for what to write down; and names the approvers', async () => {
    const result = await drillbook(['runbook', 'scenarios/manual-failover.yaml', '--format', 'md']);
    expect(result.exitCode).toBe(0);
    const row = result.stdout.split('\n').find((line) => line.startsWith('| 3 | dba-confirms'));
    expect(row).toContain('| manual | `For on-call DBA: The service is down.');
    expect(row).toContain('[ ] row counts match on primary and standby [ ] replication lag is zero ticket: ____________`');
    expect(row).toContain('| every item ticked, ticket written down | stop the steps and go to the cleanup (step 6); the drill counts as FAIL | timeout 10m |');
    expect(result.stdout).toContain('- **Approval**: before any step, these approvers sign: 1 of role duty-manager (roles as approvers.trust.yaml maps them)');
  });

  it('names the host keys to check before each ssh login, as ssh-keygen prints them, from plain and hashed known_hosts lines', async () => {
    const dir = workspace();
    for (const name of ['db1', 'db2']) await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, name)]);
    const pub = (name: string) => readFileSync(join(dir, `${name}.pub`), 'utf8').split(' ').slice(0, 2).join(' ');
    const fingerprint = async (name: string) => (await execa('ssh-keygen', ['-lf', join(dir, `${name}.pub`)])).stdout.split(' ')[1];
    writeFileSync(join(dir, 'kh'), `db1.example ${pub('db1')}\n[db2.example]:2222 ${pub('db2')}\n`);
    await execa('ssh-keygen', ['-H', '-f', join(dir, 'kh')]);
    expect(readFileSync(join(dir, 'kh'), 'utf8')).not.toContain('db2.example');
    const file = writeScenario(
      dir,
      'host-keys',
      `targets:
  db: { ssh: { host: db1.example, knownHosts: kh } }
  standby: { ssh: { host: db2.example, port: 2222, knownHosts: kh } }
  lost: { ssh: { host: db3.example, knownHosts: kh } }
  pinned: { ssh: { host: db4.example, hostKey: "SHA256:2W0H6cJ0b8Hqj6Vx1y7fZq3m0vJm5ZKc1r0M3nVzZ1Y" } }
steps:
  - { id: promote, uses: ssh, on: standby, run: [pg_ctl, promote] }
  - { id: fence, uses: ssh, on: db, run: [systemctl, stop, postgresql], continueOnError: true }
cleanup:
  - { id: unfence, uses: ssh, on: db, run: [systemctl, start, postgresql], retry: { attempts: 3, backoff: 5s } }
`,
    );
    const result = await drillbook(['runbook', file, '--ssh-config', '/dev/null']);
    expect(result.stderr).toBe('');
    const md = result.stdout;
    expect(md).toContain(`  - db1.example (root@db1.example:22): host key ssh-ed25519 ${await fingerprint('db1')} (${join(dir, 'kh')}:1)`);
    expect(md).toContain(`  - db2.example (root@db2.example:2222): host key ssh-ed25519 ${await fingerprint('db2')} (${join(dir, 'kh')}:2)`);
    expect(md).toContain(`  - db3.example (root@db3.example:22): no host key for db3.example in ${join(dir, 'kh')}: check it out of band before you log in`);
    expect(md).toContain('  - db4.example (root@db4.example:22): host key SHA256:2W0H6cJ0b8Hqj6Vx1y7fZq3m0vJm5ZKc1r0M3nVzZ1Y (pinned)');
    // What to do when a step fails, as the machine would.
    expect(md).toContain('| exit code 0 | stop the steps and go to the cleanup (step 3); the drill counts as FAIL |');
    expect(md).toContain('| exit code 0 | note it and go on: the drill counts as PARTIAL |');
    expect(md).toContain('| exit code 0 | try again, up to 3 times in all, 5s apart; then note it and go on with the next cleanup step; before you leave, finish this one by hand or hand it over |');

    const pdf = join(dir, 'host-keys.pdf');
    const printed = await drillbook(['runbook', file, '--ssh-config', '/dev/null', '--format', 'pdf', '--out', pdf, '--chromium', '/usr/bin/chromium']);
    expect(printed.stderr).toBe('');
    expect(printed.exitCode).toBe(0);
    const bytes = readFileSync(pdf);
    expect(bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(Number(/\/Type\s*\/Pages[^>]*\/Count (\d+)/.exec(bytes.toString('latin1'))?.[1] ?? 0)).toBeGreaterThanOrEqual(1);
    const missing = await drillbook(['runbook', file, '--format', 'pdf', '--out', pdf, '--chromium', join(dir, 'no-such-browser')]);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toContain('is not an executable Chromium');
    expect((await drillbook(['runbook', file, '--format', 'pdf'])).stderr).toContain('--format pdf writes a file');
  }, 60_000);

  it('run --runbook records which runbook the team had, and says when it was made from another version of the scenario', async () => {
    const dir = workspace();
    const env = { DRILLBOOK_LOCK_DIR: join(dir, 'locks') };
    const body = (word: string) => `steps:\n  - { id: say, uses: local, run: [node, -e, "console.log('${word}')"] }\n`;
    const file = writeScenario(dir, 'with-runbook', body('one'));
    const md = join(dir, 'runbook.md');
    expect((await drillbook(['runbook', file, '--out', md])).exitCode).toBe(0);
    const store = join(dir, 'store');
    const first = await drillbook(['run', file, '--store', store, '--runbook', md, '--json'], { env });
    expect(first.exitCode).toBe(0);
    // In the order the runs were made: two run ids of the same second sort by their random suffix.
    const seen: string[] = [];
    const bundles = (): string[] => {
      for (const name of readdirSync(join(store, 'with-runbook')).filter((n) => n !== 'run.lock').sort()) if (!seen.includes(name)) seen.push(name);
      return seen;
    };
    const record = (name: string) => readRecord(join(store, 'with-runbook', name));
    const sha256 = createHash('sha256').update(readFileSync(md)).digest('hex');
    expect(record(bundles()[0] ?? '')).toMatchObject({ runbook: { file: 'runbook.md', sha256, matches: true }, deviations: [] });

    writeScenario(dir, 'with-runbook', body('two'));
    expect((await drillbook(['run', file, '--store', store, '--runbook', md], { env })).exitCode).toBe(0);
    const second = record(bundles()[1] ?? '');
    expect(second.runbook).toMatchObject({ sha256, matches: false });
    expect(second.deviations.join('\n')).toContain('the runbook at hand (runbook.md, SHA-256 ');
    expect(readFileSync(join(store, 'with-runbook', bundles()[1] ?? '', 'report.html'), 'utf8')).toContain('made from ANOTHER version of the scenario');

    const html = join(dir, 'runbook.html');
    expect((await drillbook(['runbook', file, '--format', 'html', '--out', html])).exitCode).toBe(0);
    expect((await drillbook(['run', file, '--store', store, '--runbook', html], { env })).exitCode).toBe(0);
    expect(record(bundles()[2] ?? '').runbook).toMatchObject({ file: 'runbook.html', matches: true });
    const scan = join(dir, 'scan.pdf');
    writeFileSync(scan, '%PDF-1.4 a scanned page');
    expect((await drillbook(['run', file, '--store', store, '--runbook', scan], { env })).exitCode).toBe(0);
    const scanned = record(bundles()[3] ?? '').runbook;
    expect(scanned).toMatchObject({ file: 'scan.pdf' });
    expect(scanned?.matches).toBeUndefined();
    const missing = await drillbook(['run', file, '--store', store, '--runbook', join(dir, 'nope.md')], { env });
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toContain('cannot read --runbook');
  }, 60_000);

  it('refuses an invalid scenario with its position, like validate', async () => {
    const dir = workspace();
    const file = writeScenario(dir, 'broken', 'steps:\n  - { id: s, uses: wiat }\n');
    const result = await drillbook(['runbook', file]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/broken\.yaml:8:20: steps\[0\]\.uses: unknown runner "wiat"/);
    expect(result.stdout).toBe('');
  });
});

describe('the runbook of every sample in Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('prints to PDF with every step of the scenario on its pages', async () => {
    const dir = workspace();
    const samples = readdirSync('scenarios').filter((name) => name.endsWith('.yaml') && !trustFile.test(name));
    expect(samples.length).toBeGreaterThanOrEqual(5);
    for (const name of samples) {
      const file = join('scenarios', name);
      const loaded = await loadScenario(file, { catalog: builtinRunners });
      if (!loaded.ok) throw new Error(`${name} does not validate`);
      const ids = [...loaded.scenario.preconditions, ...loaded.scenario.steps, ...loaded.scenario.cleanup].flatMap((s) => (s.type === 'group' ? s.parallel : [s])).map((s) => s.id);
      const result = await drillbook(['runbook', file, '--format', 'html']);
      expect(result.exitCode, name).toBe(0);
      const page = join(dir, `${name}.html`);
      writeFileSync(page, result.stdout);
      const tab = await browser.newPage();
      await tab.goto(pathToFileURL(page).href, { waitUntil: 'load' });
      const shown = await tab.locator('tbody tr td:nth-child(2) b').allTextContents();
      expect(shown, name).toEqual(ids);
      const pdf = await tab.pdf({ format: 'A4', landscape: true });
      expect(pdf.subarray(0, 5).toString(), name).toBe('%PDF-');
      // One or more pages, counted in the PDF's page tree.
      expect(Number(/\/Type\s*\/Pages[^>]*\/Count (\d+)/.exec(pdf.toString('latin1'))?.[1] ?? 0), name).toBeGreaterThanOrEqual(1);
      await tab.close();
    }
    expect(readFileSync(join(dir, `${samples[0]}.html`), 'utf8')).toMatch(/^<!doctype html>/);
  }, 120_000);
});
