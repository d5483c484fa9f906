import { describe, expect, it } from 'vitest';
import { renderJunit } from '../../src/evidence/render-junit.js';
import type { RunRecord } from '../../src/evidence/run-record.js';
import { sampleRecord } from './fixtures.js';

function failedRecord(): RunRecord {
  const record = sampleRecord();
  const [pre, watermark, disaster, promote] = record.steps;
  promote!.status = 'failed';
  promote!.reason = 'timeout';
  promote!.message = 'timed out after 2s <promote & wait>';
  return {
    ...record,
    verdict: 'FAIL',
    endReason: 'step-failed',
    verdictReasons: ['step promote failed (timeout)'],
    objectives: { rto: { status: 'not-measured', targetMs: 30_000 }, rpo: { status: 'missed', targetMs: 60_000, achievedMs: 90_000 } },
    steps: [pre!, watermark!, disaster!, promote!, { ...record.steps[4]!, status: 'not-run', attempts: [] }],
  };
}

describe('renderJunit', () => {
  it('has a suite per phase, a testcase per step and a result suite with objectives and verdict', () => {
    const xml = renderJunit(sampleRecord());
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="drillbook pg-failover" tests="10" failures="0" errors="0" skipped="0" time="16.000" timestamp="2026-11-28T10:00:00.000Z">')).toBe(true);
    expect(xml.match(/<testsuite name="[^"]+"/g)).toEqual([
      '<testsuite name="pg-failover.preconditions"',
      '<testsuite name="pg-failover.steps"',
      '<testsuite name="pg-failover.cleanup"',
      '<testsuite name="pg-failover.result"',
    ]);
    expect(xml).toContain('<testcase name="promote" classname="pg-failover.steps" time="5.700">');
    expect(xml).toContain('<system-out>attempt 1: failed (timeout) after 2s: timed out after 2s\nattempt 2: passed after 1.5s, exit code 0</system-out>');
    expect(xml).toContain('<property name="drillbook.verdict" value="PASS"/>');
    expect(xml).toContain('<property name="drillbook.rto.targetMs" value="30000"/>');
    expect(xml).toContain('<property name="drillbook.rto.achievedMs" value="9000"/>');
    expect(xml).toContain('<testcase name="rto" classname="pg-failover.result" time="0.000">\n      <system-out>met: achieved 9s, target 30s (start of disaster to end of service-back)</system-out>');
  });

  it('reports failed steps as failures, steps not run as skipped, and a non-PASS verdict as a failure', () => {
    const xml = renderJunit(failedRecord());
    expect(xml).toContain('<testsuite name="pg-failover.steps" tests="4" failures="1" errors="0" skipped="1"');
    expect(xml).toContain('<failure message="timed out after 2s &lt;promote &amp; wait&gt;" type="timeout">attempt 1: failed (timeout)');
    expect(xml).toContain('<testcase name="service-back" classname="pg-failover.steps" time="3.000">\n      <skipped message="not run"/>');
    expect(xml).toContain('<testcase name="rto" classname="pg-failover.result" time="0.000">\n      <skipped message="not-measured: not measured, target 30s"/>');
    expect(xml).toContain('<failure message="missed: achieved 1m30s, target 1m" type="objective-missed"/>');
    expect(xml).toContain('<failure message="FAIL (step-failed)" type="FAIL">step promote failed (timeout)</failure>');
  });

  it('shows controls visibly and replaces characters XML cannot carry', () => {
    const record = sampleRecord();
    record.steps[0]!.name = 'bell\u0007 and \ud800 lone';
    expect(renderJunit(record)).toContain('name="replica-reachable (bell&lt;U+0007&gt; and \ufffd lone)"');
  });
});
