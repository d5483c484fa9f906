/** The exit-readiness section in every rendering: report.html, Markdown, JUnit and the CLI summary. */
import { describe, expect, it } from 'vitest';
import { renderSummary } from '../../src/cli/summary.js';
import { renderHtml } from '../../src/evidence/render-html.js';
import { renderJunit } from '../../src/evidence/render-junit.js';
import { renderMarkdown } from '../../src/evidence/render-markdown.js';
import { runRecordSchema } from '../../src/evidence/run-record-schema.js';
import { exitRecord, manifestFile } from './exit-fixtures.js';

describe('the exit-readiness section', () => {
  it('is part of the record schema', () => {
    const record = exitRecord();
    expect(runRecordSchema.parse(record)).toEqual(record);
    const broken = { ...record, exitReadiness: { ...record.exitReadiness, checklist: [{ check: 'fast', status: 'met', basis: 'measured', required: true, summary: '' }] } };
    expect(runRecordSchema.safeParse(broken).error?.issues.map((i) => i.path.join('.'))).toEqual(['exitReadiness.checklist.0.check']);
  });

  it('report.html: the checklist with status and basis, projection, cost, formats, findings and the manifest', () => {
    const html = renderHtml(exitRecord());
    expect(html.match(/<section id="[^"]+">/g)?.slice(0, 3)).toEqual(['<section id="summary">', '<section id="objectives-target-vs-achieved">', '<section id="exit-readiness">']);
    expect(html).toContain('<title>Exit-readiness report: The shop leaves its provider (PARTIAL)</title>');
    expect(html).toContain('Full exit projected at 1d3h22m against a period of 30d (met).');
    for (const row of [
      '<tr><td>export complete</td><td><span class="status status-met">met</span></td><td>measured</td><td>required</td><td>3,012 objects (1.2 GiB) exported; fresh listing at the end: 0 missing, 0 extra, 0 changed</td></tr>',
      '<tr><td>open formats</td><td><span class="status status-missed">missed</span></td><td>measured</td><td>required</td>',
      '<tr><td>metadata exported</td><td><span class="status status-not-covered">not-covered</span></td><td>not covered</td><td>required</td>',
      '<tr><td>exit period</td><td><span class="status status-met">met</span></td><td>declared</td><td>required</td>',
      '<tr><td>egress cost</td><td><span class="status status-missed">missed</span></td><td>declared</td><td>not required</td>',
      '<td>0 missing, 0 extra, 0 changed, 0 corrupted, 0 failed, 0 vanished</td>',
      '<td>0 missing, 0 extra, 0 changed, 0 corrupted, 0 failed, 1 vanished (deletions at the source accepted: acceptDeletions)</td>',
      '<th scope="row">Data volume</th><td>12 TiB (declared in the scenario)</td>',
      '<th scope="row">Throughput</th><td>128 MiB/s</td>',
      '<th scope="row">Projected full exit</th><td>1d3h22m</td>',
      '<th scope="row">Margin</th><td>28d20h37m</td>',
      '<th scope="row">Egress volume</th><td>13,194.14 GB (12 TiB)</td>',
      '<th scope="row">Estimated egress cost</th><td>1,187.47 EUR</td>',
      '<th scope="row">Cost limit</th><td>1,000.00 EUR</td>',
      `<a href="${manifestFile}"><code>${manifestFile}</code></a><br>3,012 entries, SHA-256 <code class="digest">${'b'.repeat(64)}</code>`,
      '<td><code>parquet</code></td><td>12</td><td>2.86 MiB</td><td><span class="status status-not-open">not open</span></td><td><code>lake/&lt;a&gt;.parquet</code></td>',
      '<li>format parquet is not declared open: 12 objects (2.86 MiB), e.g. &quot;lake/&lt;a&gt;.parquet&quot;</li>',
      '<td><code>restore-dump</code></td><td>local</td><td><span class="status status-passed">passed</span></td><td>yes (exit.reimport)</td><td>the step passing is the proof</td>',
    ]) {
      expect(html).toContain(row);
    }
    // A path outside attachments/ is shown, never linked; the page stays self-contained.
    expect(html).not.toContain('href="javascript:');
    expect(html).toContain('<code>javascript:alert(1)</code><br>1 entries');
    expect(html).not.toMatch(/<script|<link|<img|<iframe|\bsrc=|url\(/i);
  });

  it('a drill has no exit section', () => {
    const { exitReadiness: _none, ...drill } = exitRecord();
    expect(renderHtml({ ...drill, scenario: { ...drill.scenario, kind: 'drill' } })).not.toContain('id="exit-readiness"');
  });

  it('Markdown: the checklist table, projection, cost, manifest and findings', () => {
    const md = renderMarkdown(exitRecord());
    expect(md).toContain(
      [
        '## Exit readiness',
        '',
        '| Item | Status | Basis | Required | Found |',
        '|---|---|---|---|---|',
        '| export complete | met | measured | yes | 3,012 objects (1.2 GiB) exported; fresh listing at the end: 0 missing, 0 extra, 0 changed |',
      ].join('\n'),
    );
    expect(md).toContain('| egress cost | missed | declared | no | about 1,187.47 EUR for 13,194.14 GB of egress at 0.09 EUR/GB; the limit is 1,000.00 EUR |');
    expect(md).toContain('- Projection: 12 TiB (declared) at 128 MiB/s (measured over 1.25 GiB in 10s) → 1d3h22m against a period of 30d');
    expect(md).toContain('- Egress: 13,194.14 GB ≈ 1,187.47 EUR (limit 1,000.00 EUR)');
    expect(md).toContain(`- Manifest of \`export-objects\`: \`${manifestFile}\` (3012 entries, SHA-256 \`${'b'.repeat(64)}\`)`);
    expect(md).toContain('- Finding: format parquet is not declared open');
  });

  it('JUnit: a case per item; missed is a failure, required and not covered an error (never skipped)', () => {
    const xml = renderJunit(exitRecord());
    const suite = xml.slice(xml.indexOf('<testsuite name="storage-exit.exit"'), xml.indexOf('<testsuite name="storage-exit.result"'));
    expect(suite).toContain('<testsuite name="storage-exit.exit" tests="7" failures="2" errors="1" skipped="0"');
    expect(suite).toContain('<testcase name="open-formats" classname="storage-exit.exit" time="0.000">\n      <failure message="open formats: missed (measured, required): 1 format is not open: parquet: 12 objects (2.86 MiB)" type="exit-check-missed"/>');
    expect(suite).toContain('<testcase name="metadata" classname="storage-exit.exit" time="0.000">\n      <error message="metadata exported: not-covered (not covered, required): export-archive reported no export facts" type="exit-check-not-covered"/>');
    expect(suite).toContain('<testcase name="cost" classname="storage-exit.exit" time="0.000">\n      <failure message="egress cost: missed (declared): about 1,187.47 EUR');
    expect(suite).toContain('<system-out>export complete: met (measured, required): 3,012 objects (1.2 GiB) exported');
    // The exit period is the exit suite's within-period case, not an objective case as well.
    expect(xml).not.toContain('<testcase name="exitPeriod"');
    expect(xml).toMatch(/<testsuites name="drillbook storage-exit" tests="\d+" failures="3" errors="1" skipped="0"/);
  });

  it('JUnit: an item neither required nor covered is skipped', () => {
    const record = exitRecord();
    record.exitReadiness!.checklist = [{ check: 'cost', status: 'not-covered', basis: 'not covered', required: false, summary: 'no egress price declared (exit.egressPricePerGB)' }];
    expect(renderJunit(record)).toContain('<testcase name="cost" classname="storage-exit.exit" time="0.000">\n      <skipped message="egress cost: not-covered (not covered): no egress price declared (exit.egressPricePerGB)"/>');
  });

  it('the CLI summary lists the checklist after the objectives', () => {
    expect(renderSummary(exitRecord(), 'reports/storage-exit/r1', undefined).split('\n').slice(3, 12)).toEqual([
      'exit period 1d3h22m (target 30d): met',
      'exit readiness:',
      '  export complete: met — 3,012 objects (1.2 GiB) exported; fresh listing at the end: 0 missing, 0 extra, 0 changed',
      '  export integral: met — SHA-256 recorded for 3,012 objects and 1 dump',
      '  open formats: missed — 1 format is not open: parquet: 12 objects (2.86 MiB)',
      '  metadata exported: not-covered — export-archive reported no export facts',
      '  re-import proven: met — restore-dump passed',
      '  exit period: met — projected 1d26m for 12 TiB (declared) at 143 MiB/s; the period is 30d',
      '  egress cost: missed (not required) — about 1,187.47 EUR for 13,194.14 GB of egress at 0.09 EUR/GB; the limit is 1,000.00 EUR',
    ]);
  });
});
