/**
 * The dashboard in a real headless browser (Debian's chromium via playwright-core): it renders, the
 * overdue scenario is highlighted, the trend charts are visible, run links open the copied reports,
 * nothing is logged to the console and nothing is fetched. Screenshots are kept under test-artifacts/.
 */
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinRunners } from '../../runners/index.js';
import { writeDashboard } from '../../src/dashboard/write-dashboard.js';
import { buildRegister } from '../../src/register/build-register.js';
import { createLocalStore } from '../../src/register/local-store.js';
import { testKeys } from '../evidence/fixtures.js';
import { storeBundle } from './bundles.js';
import { at } from './support.js';

type StyleWindow = { getComputedStyle(element: unknown): { backgroundColor: string } };

const artifacts = new URL('../../test-artifacts/', import.meta.url);
let root: string;
let site: string;
let browser: Browser;

function scenarioFile(dir: string, id: string, timing: string): string {
  const file = join(dir, `${id}.yaml`);
  writeFileSync(file, `version: 1\nkind: drill\nid: ${id}\ntitle: ${id} failover\nowner: dba-team\n${timing}\nobjectives: {}\nsteps:\n  - id: pause\n    uses: wait\n    with: { duration: 1s }\n`);
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'drillbook-dashboard-'));
  const scenarios = join(root, 'scenarios');
  const store = join(root, 'reports');
  site = join(root, 'site');
  mkdirSync(scenarios);
  const keys = testKeys();
  const pgSha = scenarioFile(scenarios, 'pg-failover', 'cadence: 90d\nschedule: "0 3 1 * *"\ntimezone: Europe/Berlin');
  const webSha = scenarioFile(scenarios, 'web-restore', 'cadence: 30d');
  writeFileSync(join(scenarios, 'broken.yaml'), 'version: 1\nkind: drill\n');
  const rtos = [12_000, 9_000, 15_000, 11_000, 35_000];
  for (const [i, rto] of rtos.entries()) {
    const month = String(i + 1).padStart(2, '0');
    await storeBundle(store, {
      startedAt: `2026-${month}-01T02:00:05.000Z`,
      signingKey: keys.signing.privateKey,
      scenarioSha256: pgSha,
      verdict: rto > 30_000 ? 'FAIL' : 'PASS',
      rto: { achievedMs: rto, status: rto > 30_000 ? 'missed' : 'met' },
      rpo: { achievedMs: 800 + i * 100 },
    });
  }
  const tampered = await storeBundle(store, { startedAt: '2026-06-01T02:00:05.000Z', signingKey: keys.signing.privateKey, scenarioSha256: pgSha });
  appendFileSync(join(tampered.dir, 'report.html'), '<p>edited</p>');
  await storeBundle(store, { startedAt: '2026-11-20T02:00:05.000Z', scenarioId: 'web-restore', signingKey: keys.signing.privateKey, scenarioSha256: webSha });
  await storeBundle(store, { startedAt: '2026-03-01T02:00:05.000Z', scenarioId: 'old-exit', signingKey: keys.signing.privateKey });

  const history = { keys: [keys.trusted], mode: 'verified' as const };
  const storeApi = createLocalStore(store, 'reports');
  const register = await buildRegister([scenarios], { store: storeApi, catalog: builtinRunners, history, nowMs: at('2026-11-28T12:00:00Z') });
  await writeDashboard(site, register, storeApi, history, 'verified against 1 trusted key (threshold 1)');

  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});
afterAll(async () => {
  await browser?.close();
  rmSync(root, { recursive: true, force: true });
});

/** Open a page of the site, collecting console problems and any request for something else than the site's files. */
async function open(path: string): Promise<{ page: Page; problems: string[]; requests: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const problems: string[] = [];
  const requests: string[] = [];
  const siteUrl = pathToFileURL(site).href;
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') problems.push(`${message.type()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('request', (request) => {
    if (!request.url().startsWith(siteUrl)) requests.push(request.url());
  });
  await page.goto(pathToFileURL(join(site, path)).href, { waitUntil: 'load' });
  return { page, problems, requests };
}

describe('dashboard in headless chromium', () => {
  it('lists every scenario, overdue first and highlighted, with trends, and fetches nothing', async () => {
    const { page, problems, requests } = await open('index.html');
    expect(await page.title()).toBe('drillbook register (1 overdue)');
    const rows = page.locator('tr.scenario-row');
    const listed: [string | null, string | null][] = [];
    for (const row of await rows.all()) listed.push([await row.getAttribute('data-scenario'), await row.locator('.badge').textContent()]);
    expect(listed).toEqual([
      ['pg-failover', 'overdue'],
      ['broken.yaml', 'invalid'],
      ['web-restore', 'ok'],
      ['old-exit', 'no file'],
    ]);
    const overdue = page.locator('tr.overdue td').first();
    // Runs in the page, where the DOM exists (this project's types have no DOM library).
    expect(await overdue.evaluate((td) => (globalThis as unknown as StyleWindow).getComputedStyle(td).backgroundColor)).toBe('rgb(255, 235, 238)');
    expect(await page.locator('tr.overdue svg.spark').first().isVisible()).toBe(true);
    expect(await page.locator('#summary').textContent()).toBe('4 scenarios: 1 overdue · 1 invalid · 1 ok · 1 no file');

    mkdirSync(artifacts, { recursive: true });
    await page.screenshot({ path: new URL('dashboard.png', artifacts).pathname, fullPage: true });
    expect(problems).toEqual([]);
    expect(requests).toEqual([]);
    await page.close();
  });

  it('shows a scenario with RTO/RPO charts against targets, its runs, and links to each verified report', async () => {
    const { page, problems, requests } = await open('index.html');
    await page.click('a[href="scenarios/pg-failover.html"]');
    await page.waitForURL(/pg-failover\.html$/);
    expect(await page.title()).toBe('pg-failover: overdue · drillbook');
    const chart = page.locator('svg#chart-rto');
    await expect.poll(() => chart.isVisible()).toBe(true);
    const box = await chart.boundingBox();
    expect(box?.width).toBeGreaterThan(300);
    expect(await chart.locator('circle.point').count()).toBe(5);
    expect(await chart.locator('circle.point-missed').count()).toBe(1);
    expect(await chart.locator('line.target').count()).toBe(1);
    expect(await page.locator('svg#chart-rpo circle.point').count()).toBe(5);
    // The tampered bundle is listed as invalid, without a link to its (edited) report.
    const runRows = page.locator('tr.run-row');
    expect(await runRows.count()).toBe(6);
    expect(await runRows.first().locator('a').count()).toBe(0);
    expect(await runRows.first().locator('.evidence-invalid').textContent()).toBe('invalid');
    expect(existsSync(join(site, 'runs', 'pg-failover', '20260601T020005Z-a1b2c3'))).toBe(false);
    await page.screenshot({ path: new URL('dashboard-scenario.png', artifacts).pathname, fullPage: true });

    await runRows.nth(1).locator('a').click();
    await page.waitForURL(/report\.html$/);
    expect(await page.locator('#verdict').textContent()).toBe('FAIL');
    expect(problems).toEqual([]);
    expect(requests).toEqual([]);
    await page.close();
  });
});
