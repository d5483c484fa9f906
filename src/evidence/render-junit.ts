/**
 * JUnit XML of a run record, for CI systems: one testsuite per phase with a testcase per step, an
 * `<scenario>.exit` suite with a testcase per exit-readiness item (exit runs), and a `<scenario>.result`
 * suite whose testcases are the objectives and the verdict, so a non-PASS run is never green in CI even
 * when every step passed. Pure.
 */
import { formatDuration } from '../scenario/duration.js';
import { exitCheckLabels, type ExitReadinessRecord } from './exit-record.js';
import { escapeMarkup as x } from '../markup.js';
import type { ObjectiveRecord, RunRecord, StepRecord } from './run-record.js';

interface Case {
  name: string;
  classname: string;
  timeMs: number;
  outcome?: { element: 'failure' | 'error' | 'skipped'; type?: string; message: string; body?: string };
  output?: string;
}

/** Render the record as JUnit XML (UTF-8 text). */
export function renderJunit(record: RunRecord): string {
  const id = record.scenario.id;
  const suites: { name: string; cases: Case[] }[] = [];
  for (const phase of ['preconditions', 'steps', 'cleanup'] as const) {
    const steps = [...record.steps, ...record.cleanup].filter((s) => s.phase === phase);
    if (steps.length > 0) suites.push({ name: `${id}.${phase}`, cases: steps.map((s) => stepCase(`${id}.${phase}`, s)) });
  }
  if (record.exitReadiness) suites.push({ name: `${id}.exit`, cases: exitCases(`${id}.exit`, record.exitReadiness) });
  suites.push({ name: `${id}.result`, cases: resultCases(`${id}.result`, record) });

  const properties = runProperties(record);
  const all = suites.flatMap((s) => s.cases);
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${x(`drillbook ${id}`)}" ${counts(all)} time="${seconds(record.durationMs)}" timestamp="${x(record.startedAt)}">`,
  ];
  for (const suite of suites) {
    const timeMs = suite.cases.reduce((sum, c) => sum + c.timeMs, 0);
    lines.push(`  <testsuite name="${x(suite.name)}" ${counts(suite.cases)} time="${seconds(timeMs)}" timestamp="${x(record.startedAt)}" hostname="${x(record.host)}">`);
    lines.push('    <properties>');
    for (const [name, value] of properties) lines.push(`      <property name="${x(name)}" value="${x(value)}"/>`);
    lines.push('    </properties>');
    for (const c of suite.cases) lines.push(...caseXml(c));
    lines.push('  </testsuite>');
  }
  lines.push('</testsuites>', '');
  return lines.join('\n');
}

function stepCase(classname: string, step: StepRecord): Case {
  const c: Case = { name: step.name ? `${step.id} (${step.name})` : step.id, classname, timeMs: step.durationMs ?? 0 };
  const attempts = step.attempts.map(
    (a) =>
      `attempt ${a.attempt}: ${a.status}${a.reason ? ` (${a.reason})` : ''} after ${formatDuration(a.durationMs)}` +
      `${a.exitCode === undefined ? '' : `, exit code ${a.exitCode}`}${a.httpStatus === undefined ? '' : `, HTTP ${a.httpStatus}`}${a.message ? `: ${a.message}` : ''}`,
  );
  if (step.status === 'failed' || step.status === 'cancelled') {
    const reason = step.status === 'cancelled' ? 'cancelled' : (step.reason ?? 'error');
    const message = step.message ?? (step.status === 'cancelled' ? 'cancelled' : 'failed');
    c.outcome = { element: 'failure', type: reason, message: step.continueOnError ? `${message} (continueOnError)` : message, body: attempts.join('\n') };
  } else if (step.status === 'not-run') {
    c.outcome = { element: 'skipped', message: 'not run' };
  } else if (attempts.length > 0) {
    c.output = attempts.join('\n');
  }
  return c;
}

/**
 * A missed item is a failure; a required item not covered is an error, never a skip, so that CI shows it;
 * an item neither required nor covered is skipped.
 */
function exitCases(classname: string, e: ExitReadinessRecord): Case[] {
  return e.checklist.map((item) => {
    const c: Case = { name: item.check, classname, timeMs: 0 };
    const text = `${exitCheckLabels[item.check]}: ${item.status} (${item.basis}${item.required ? ', required' : ''}): ${item.summary}`;
    if (item.status === 'missed') c.outcome = { element: 'failure', type: 'exit-check-missed', message: text };
    else if (item.status === 'not-covered') c.outcome = item.required ? { element: 'error', type: 'exit-check-not-covered', message: text } : { element: 'skipped', message: text };
    else c.output = text;
    return c;
  });
}

function resultCases(classname: string, record: RunRecord): Case[] {
  const objectives: [string, ObjectiveRecord | undefined][] = [
    ['rto', record.objectives.rto],
    ['rpo', record.objectives.rpo],
    // An exit run's period is the exit suite's within-period case.
    ['exitPeriod', record.exitReadiness ? undefined : record.objectives.exitPeriod],
  ];
  const cases: Case[] = [];
  for (const [name, objective] of objectives) {
    if (!objective) continue;
    const c: Case = { name, classname, timeMs: 0 };
    const text = describeObjective(objective);
    if (objective.status === 'missed') c.outcome = { element: 'failure', type: 'objective-missed', message: text };
    else if (objective.status !== 'met') c.outcome = { element: 'skipped', message: text };
    else c.output = text;
    cases.push(c);
  }
  const verdict: Case = { name: 'verdict', classname, timeMs: record.durationMs };
  const reasons = record.verdictReasons.join('\n');
  if (record.verdict !== 'PASS') verdict.outcome = { element: 'failure', type: record.verdict, message: `${record.verdict} (${record.endReason})`, body: reasons };
  else verdict.output = `PASS (${record.endReason})`;
  cases.push(verdict);
  return cases;
}

function describeObjective(o: ObjectiveRecord): string {
  const target = o.targetMs === undefined ? 'no target' : `target ${formatDuration(o.targetMs)}`;
  const achieved = o.achievedMs === undefined ? 'not measured' : `achieved ${formatDuration(o.achievedMs)}`;
  return `${o.status}: ${achieved}, ${target}${o.basis ? ` (${o.basis})` : ''}`;
}

function runProperties(record: RunRecord): [string, string][] {
  const props: [string, string][] = [
    ['drillbook.verdict', record.verdict],
    ['drillbook.endReason', record.endReason],
    ['drillbook.runId', record.runId],
    ['drillbook.scenario', record.scenario.id],
    ['drillbook.scenario.kind', record.scenario.kind],
    ['drillbook.scenario.sha256', record.scenario.sha256],
    ['drillbook.operator', record.operator],
    ['drillbook.startedAt', record.startedAt],
    ['drillbook.finishedAt', record.finishedAt],
  ];
  if (record.scenario.environment) props.push(['drillbook.environment', record.scenario.environment]);
  for (const [name, o] of [['rto', record.objectives.rto], ['rpo', record.objectives.rpo], ['exitPeriod', record.objectives.exitPeriod]] as const) {
    if (!o) continue;
    props.push([`drillbook.${name}.status`, o.status]);
    if (o.targetMs !== undefined) props.push([`drillbook.${name}.targetMs`, String(o.targetMs)]);
    if (o.achievedMs !== undefined) props.push([`drillbook.${name}.achievedMs`, String(o.achievedMs)]);
  }
  props.push(['drillbook.journal.headSha256', record.journal.headSha256]);
  return props;
}

function caseXml(c: Case): string[] {
  const open = `    <testcase name="${x(c.name)}" classname="${x(c.classname)}" time="${seconds(c.timeMs)}"`;
  const inner: string[] = [];
  if (c.outcome) {
    const type = c.outcome.type === undefined ? '' : ` type="${x(c.outcome.type)}"`;
    const head = `      <${c.outcome.element} message="${x(c.outcome.message)}"${type}`;
    inner.push(c.outcome.body ? `${head}>${x(c.outcome.body)}</${c.outcome.element}>` : `${head}/>`);
  }
  if (c.output) inner.push(`      <system-out>${x(c.output)}</system-out>`);
  return inner.length === 0 ? [`${open}/>`] : [`${open}>`, ...inner, '    </testcase>'];
}

function counts(cases: readonly Case[]): string {
  const count = (element: NonNullable<Case['outcome']>['element']): number => cases.filter((c) => c.outcome?.element === element).length;
  return `tests="${cases.length}" failures="${count('failure')}" errors="${count('error')}" skipped="${count('skipped')}"`;
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}
