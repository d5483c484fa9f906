/**
 * `drillbook runbook`: every step of the scenario in the order it runs, with the command as it will run (vars
 * resolved, secrets and run-time values as references, never a secret's value), what success looks like, its
 * limits and blank columns for times; HTML escaped; every sample prints to PDF in Chromium.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinRunners } from '../../runners/index.js';
import { loadScenario } from '../../src/scenario/validate.js';
import { drillbook, workspace, writeScenario } from './support.js';

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
    expect(md).toContain("| `systemctl stop 'svc eu-west-3'` | exit code 0 | timeout 10m; 3 attempts, 2s apart; marks t0 when it passes |  |  |");
    expect(md).toContain("| `pg_ctl promote '--token=<secret token>'` | exit code 0 or 3 |");
    expect(md).toContain('| `test -f /srv/flag` | exit code 0 | timeout 30s; marks recovered when it passes |');
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
    expect(row).toContain('| every item ticked, ticket written down | timeout 10m |');
    expect(result.stdout).toContain('- **Approval**: before any step, 1 of these approvers sign: ../reports/demo-keys/manager.pub');
  });

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
    const samples = readdirSync('scenarios').filter((name) => name.endsWith('.yaml'));
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
