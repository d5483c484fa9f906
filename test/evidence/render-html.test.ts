import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { describeControl } from '../../src/evidence/control-catalog.js';
import { renderHtml } from '../../src/evidence/render-html.js';
import { renderMarkdown } from '../../src/evidence/render-markdown.js';
import type { RunRecord } from '../../src/evidence/run-record.js';
import { sampleRecord, sealedBundle, testKeys } from './fixtures.js';

function missedRecord(): RunRecord {
  const record = sampleRecord();
  return {
    ...record,
    verdict: 'FAIL',
    endReason: 'completed',
    verdictReasons: ['RTO missed: 45s against 30s'],
    objectives: { ...record.objectives, rto: { status: 'missed', targetMs: 30_000, achievedMs: 45_000 } },
    marks: { ...record.marks, recovered: { stepId: 'service-back', at: '2026-11-28T10:00:50.000Z' } },
  };
}

const unescape = (html: string) => html.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

describe('renderHtml', () => {
  it('is one self-contained page: a CSP that forbids fetching, no scripts, no external references', () => {
    const html = renderHtml(sampleRecord());
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`);
    expect(html).not.toMatch(/<script|<link|<img|<iframe|\bsrc=|url\(/i);
    expect(html.match(/https?:\/\/[^\s"<)]+/g)).toEqual(['http://www.w3.org/2000/svg', 'https://drillbook.dev/run-record/v1']);
    expect(html).toContain('@media print');
    expect(renderHtml(sampleRecord())).toBe(html);
  });

  it('has every section an auditor looks for', () => {
    const html = renderHtml(sampleRecord(), { sealingKeyId: 'c'.repeat(64) });
    expect(html.match(/<section id="[^"]+">/g)).toEqual([
      '<section id="summary">',
      '<section id="objectives-target-vs-achieved">',
      '<section id="timeline-against-the-rto-budget">',
      '<section id="steps">',
      '<section id="deviations-and-findings">',
      '<section id="cleanup">',
      '<section id="scope-and-targets">',
      '<section id="controls">',
      '<section id="integrity-and-signatures">',
      '<section id="how-to-verify-this-bundle">',
    ]);
    for (const text of [
      '<title>DR drill report: PostgreSQL primary to replica failover (PASS)</title>',
      '<th scope="row">Operator</th><td><code>alice</code></td>',
      '<th scope="row">Environment</th><td><code>staging</code></td>',
      '<td>RTO (recovery time)</td><td>30s</td><td>9s</td><td>21s</td><td><span class="status status-met">met</span></td>',
      '<code>SHA256:2Xk8b3Zs8mJc8m1q0Yx3bq2mJm0V0s1rV4uQ6fK1e3E</code>',
      '<td>ISO/IEC 27001:2022</td><td>A.5.30 ICT readiness for business continuity</td>',
      '<td><code>ACME:BCP-7</code></td><td>—</td><td>as listed by the scenario</td>',
      `by key <code class="digest">${'c'.repeat(64)}</code>`,
      'Step <code>promote</code> passed after 1 failed attempt(s).',
      'Command as written: <code>&quot;pg_isready&quot; &quot;-h&quot; &quot;${{ vars.replica }}&quot;</code>',
      'raw SHA-256 <code class="digest">',
    ]) {
      expect(html).toContain(text);
    }
    expect(html).toMatch(/<text x="[\d.]+" y="12" text-anchor="start" fill="#1565c0" font-weight="600">T0<\/text>/);
    expect(html).toContain('RTO budget 30s</text>');
    expect(html).toContain('recovered (RTO 9s)</text>');
  });

  it('shows the exit period of an exit scenario next to RTO and RPO', () => {
    const record = sampleRecord();
    record.scenario.kind = 'exit';
    record.objectives.exitPeriod = { status: 'met', targetMs: 30 * 86_400_000, achievedMs: 5 * 86_400_000, basis: 'projected from measured throughput' };
    const html = renderHtml(record);
    expect(html).toContain('<title>Exit-readiness report: PostgreSQL primary to replica failover (PASS)</title>');
    expect(html).toContain('<td>Exit period</td><td>30d</td><td>5d</td><td>25d</td><td><span class="status status-met">met</span></td><td>projected from measured throughput</td>');
  });

  it('shows time past the RTO budget in red', () => {
    const html = renderHtml(missedRecord());
    expect(html).toContain('<title>over the RTO budget by 15s</title>');
    expect(html).toContain('fill="#c62828" font-weight="600">recovered (RTO 45s)</text>');
    expect(html).toContain('<p class="verdict" style="background:#c62828" id="verdict">FAIL</p>');
  });

  it('escapes everything that comes from the scenario or the run', () => {
    const record = sampleRecord();
    record.scenario.title = '<script>alert(1)</script>';
    record.steps[2]!.message = '"><img src=x onerror=alert(1)>';
    record.steps[2]!.id = '</text><script>';
    const html = renderHtml(record);
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('shows bidi controls and other controls visibly, wherever the text lands in report.html', async () => {
    const record = sampleRecord();
    record.scenario.title = 'Failover of \u202Eyrotsih\u202C db';
    record.steps[2]!.name = 'probe\u2066 isolated\u2069';
    record.steps[2]!.message = 'said \u001b[31mred\u001b[0m';
    const dir = mkdtempSync(join(tmpdir(), 'drillbook-html-bidi-'));
    try {
      await sealedBundle(dir, {}, record);
      const html = readFileSync(join(dir, 'report.html'), 'utf8');
      expect(html).not.toMatch(/[\u202a-\u202e\u2066-\u2069]/);
      expect(html.includes('\u001b')).toBe(false);
      expect(html).toContain('<title>DR drill report: Failover of &lt;U+202E&gt;yrotsih&lt;U+202C&gt; db (PASS)</title>');
      expect(html).toContain('<h1>DR drill report: Failover of &lt;U+202E&gt;yrotsih&lt;U+202C&gt; db</h1>');
      expect(html).toContain('probe&lt;U+2066&gt; isolated&lt;U+2069&gt;');
      expect(html).toContain('said &lt;U+001B&gt;[31mred&lt;U+001B&gt;[0m');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says when a bundle was sealed unsigned, and lists verified signers when re-rendered', () => {
    expect(renderHtml(sampleRecord())).toContain('no: this bundle was sealed unsigned');
    const html = renderHtml(sampleRecord(), {
      verification: { payloadSha256: 'd'.repeat(64), threshold: 2, signers: [{ keyid: 'e'.repeat(64), role: 'reviewer', file: 'signatures/x.dsse.json' }] },
      subjects: [{ name: 'journal.jsonl', digest: { sha256: 'f'.repeat(64) } }],
    });
    expect(html).toContain(`SHA-256 <code class="digest">${'d'.repeat(64)}</code> (threshold 2)`);
    expect(html).toContain(`reviewer: key <code class="digest">${'e'.repeat(64)}</code> (<code>signatures/x.dsse.json</code>)`);
    expect(html).toContain(`<h3>Files of the bundle</h3>`);
  });
});

describe('the short procedure printed in report.html', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'drillbook-html-procedure-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('runs as printed and checks the signature, the files and the journal head', async () => {
    const keys = testKeys();
    const bundle = join(dir, 'bundle');
    await sealedBundle(bundle, { signingKey: keys.signing.privateKey });
    const html = renderHtml(sampleRecord());
    const script = unescape(/<pre>(w=\$\(mktemp[\s\S]*?)<\/pre>/.exec(html)?.[1] ?? '');
    expect(script).toContain('openssl pkeyutl');
    const copy = join(dir, 'copy');
    cpSync(bundle, copy, { recursive: true });
    writeFileSync(join(copy, 'SIGNER.pub'), keys.publicKeyPem);
    const result = spawnSync('sh', ['-ec', script], { cwd: copy, encoding: 'utf8' });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain('Signature Verified Successfully');
    expect(result.stdout).toContain('journal.jsonl: OK');
  });
});

describe('renderMarkdown', () => {
  it('summarises objectives, steps, findings, controls and integrity, with table cells made safe', () => {
    const record = missedRecord();
    record.deviations = ['lock | broken by alice'];
    const md = renderMarkdown(record);
    expect(md.startsWith('# PostgreSQL primary to replica failover: FAIL\n')).toBe(true);
    expect(md).toContain('| RTO | 30s | 45s | missed |');
    expect(md).toContain('| `promote` | steps | passed | 2 | 5.7s |');
    expect(md).toContain('- Deviation: lock \\| broken by alice');
    expect(md).toContain('- `DORA:Art.11`: DORA (EU) 2022/2554 Art. 11 Response and recovery');
  });

  it('shows bidi controls and other controls visibly', () => {
    const record = sampleRecord();
    record.scenario.title = 'Failover \u202Ekcab\u202C';
    record.deviations = ['lock\rbroken'];
    const md = renderMarkdown(record);
    expect(md.startsWith('# Failover <U+202E>kcab<U+202C>: PASS\n')).toBe(true);
    expect(md).toContain('- Deviation: lock<U+000D>broken');
    expect(md).not.toMatch(/[\u202a-\u202e\r]/);
  });
});

describe('describeControl', () => {
  it('knows common clauses whatever the spelling, and nothing else', () => {
    expect(describeControl('iso27001:a.8.13')?.title).toBe('Information backup');
    expect(describeControl('ISO 27001:A.5.30')?.clause).toBe('A.5.30');
    expect(describeControl('dora:art.12')?.clause).toBe('Art. 12');
    expect(describeControl('ISO22301:8.5')?.title).toBe('Exercise programme');
    expect(describeControl('ACME:1')).toBeUndefined();
  });
});
