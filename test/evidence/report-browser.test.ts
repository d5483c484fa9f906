/**
 * report.html in a real headless browser (Debian's chromium driven by playwright-core): it renders, the
 * timeline is visible, nothing is logged to the console and nothing is fetched. The screenshot and a PDF
 * print are kept under test-artifacts/.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sealedBundle, testKeys } from './fixtures.js';

const artifacts = new URL('../../test-artifacts/', import.meta.url);
let root: string;
let browser: Browser;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'drillbook-browser-'));
  await sealedBundle(root, { signingKey: testKeys().signing.privateKey });
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});
afterAll(async () => {
  await browser?.close();
  rmSync(root, { recursive: true, force: true });
});

describe('report.html in headless chromium', () => {
  it('renders the verdict and a visible timeline, with no console errors and no network requests', async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const url = pathToFileURL(join(root, 'report.html')).href;
    const problems: string[] = [];
    const requests: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') problems.push(`${message.type()}: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('request', (request) => {
      if (request.url() !== url) requests.push(request.url());
    });

    await page.goto(url, { waitUntil: 'load' });
    expect(await page.title()).toBe('DR drill report: PostgreSQL primary to replica failover (PASS)');
    expect(await page.locator('#verdict').textContent()).toBe('PASS');
    const timeline = page.locator('svg#timeline');
    await expect.poll(() => timeline.isVisible()).toBe(true);
    const box = await timeline.boundingBox();
    expect(box?.width).toBeGreaterThan(600);
    expect(box?.height).toBeGreaterThan(150);
    expect(await timeline.locator('g.step').count()).toBe(7);
    expect(await page.locator('section#controls td').first().textContent()).toBe('ISO27001:A.5.30');

    mkdirSync(artifacts, { recursive: true });
    await page.screenshot({ path: new URL('report.png', artifacts).pathname, fullPage: true });
    await page.emulateMedia({ media: 'print' });
    const pdf = await page.pdf({ format: 'A4', printBackground: true });
    writeFileSync(new URL('report.pdf', artifacts), pdf);
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');

    expect(problems).toEqual([]);
    expect(requests).toEqual([]);
    await page.close();
  });
});
