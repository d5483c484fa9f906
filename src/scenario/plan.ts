/** What `drillbook plan` prints: the compiled order, as text or a Mermaid state diagram. Pure. */
import { formatDuration } from './duration.js';
import { formatCount, formatSize } from './size.js';
import type { ExitPlan, Scenario, Step, StepOrGroup } from './types.js';
import { revealInvisible } from '../visible-text.js';

function stepLine(step: Step): string {
  const where = step.on ? ` on ${step.on}` : '';
  const facts = [`timeout ${formatDuration(step.timeoutMs)}`];
  if (step.retry.attempts > 1) facts.push(`${step.retry.attempts} attempts, ${formatDuration(step.retry.backoffMs)} apart`);
  if (step.background) facts.push(step.until ? `background until ${step.until}` : 'background until the steps end');
  if (step.continueOnError) facts.push('continues on error');
  const marks = step.marks.length ? ` [${step.marks.join(', ')}]` : '';
  const run = step.run ? `  $ ${step.run.map((a) => (/[\s"'$]/.test(a) ? JSON.stringify(a) : a)).join(' ')}` : '';
  return `${step.id}${marks}: ${step.uses}${where} · ${facts.join(' · ')}${run}`;
}

function listLines(list: readonly StepOrGroup[], counter: { n: number }): string[] {
  const lines: string[] = [];
  for (const item of list) {
    counter.n += 1;
    if (item.type === 'group') {
      lines.push(`  ${counter.n}. ${item.id}: in parallel${item.failFast ? ', fail-fast' : ''}`);
      item.parallel.forEach((child, i) => lines.push(`     ${counter.n}${String.fromCharCode(97 + (i % 26))}. ${stepLine(child)}`));
    } else {
      lines.push(`  ${counter.n}. ${stepLine(item)}`);
    }
  }
  return lines;
}

/** The exit plan as the checklist will read it, so a reviewer sees what the run will be judged on. */
function exitLines(plan: ExitPlan): string[] {
  const money = (amount: number): string => `${formatCount(amount)} ${plan.currency ?? ''}`.trim();
  const egress = plan.egressPricePerGB === undefined
    ? 'no price declared (cost not covered)'
    : `${money(plan.egressPricePerGB)} per GB${plan.maxCost !== undefined ? `, at most ${money(plan.maxCost)}` : ''}`;
  return [
    `exit readiness: required ${plan.required.length ? plan.required.join(', ') : 'nothing'}`,
    `  open formats: ${plan.openFormats.length ? plan.openFormats.join(', ') : 'none declared (open-formats not covered)'}`,
    `  data volume: ${plan.dataVolumeBytes !== undefined ? `${formatSize(plan.dataVolumeBytes)} (declared)` : 'what the export steps list'}`,
    `  egress: ${egress}`,
    `  re-import proven by: ${plan.reimportSteps.length ? plan.reimportSteps.join(', ') : 's3.import steps only'}`,
  ];
}

export function renderPlanText(scenario: Scenario): string {
  const o = scenario.objectives;
  const objectives = [
    o.rtoMs !== undefined ? `RTO ${formatDuration(o.rtoMs)}` : undefined,
    o.rpoMs !== undefined ? `RPO ${formatDuration(o.rpoMs)}${o.rpoFrom ? ` (measured by ${o.rpoFrom.stepId}.${o.rpoFrom.output})` : ''}` : undefined,
    o.exitPeriodMs !== undefined ? `exit period ${formatDuration(o.exitPeriodMs)}` : undefined,
  ].filter(Boolean);
  const counter = { n: 0 };
  const lines = [
    `${scenario.id} (${scenario.kind}): ${scenario.title}`,
    `owner ${scenario.owner}${scenario.environment ? ` · environment ${scenario.environment}` : ''}${scenario.deadlineMs !== undefined ? ` · deadline ${formatDuration(scenario.deadlineMs)}` : ''}`,
    `objectives: ${objectives.length ? objectives.join(' · ') : 'none declared'}`,
    ...(scenario.exit ? exitLines(scenario.exit) : []),
    '',
    'preconditions (read-only checks; a failure stops the run before any side effect, exit 4)',
    ...(scenario.preconditions.length ? listLines(scenario.preconditions, counter) : ['  (none)']),
    ...(scenario.environment === 'production' ? ['', 'confirmation: production: asks on the terminal, or --yes'] : []),
    '',
    'steps (a failure goes straight to cleanup)',
    ...listLines(scenario.steps, counter),
    '',
    'cleanup (always runs once steps have started: after success, failure, timeout, deadline or interrupt)',
    ...(scenario.cleanup.length ? listLines(scenario.cleanup, counter) : ['  (none)']),
  ];
  return revealInvisible(`${lines.join('\n')}\n`);
}

const node = (id: string): string => `s_${id.replace(/-/g, '_')}`;

function mermaidList(list: readonly StepOrGroup[], from: string, lines: string[], failTo: string | undefined): string {
  let previous = from;
  for (const item of list) {
    const id = node(item.id);
    if (item.type === 'group') {
      lines.push(`  state ${id} {`);
      item.parallel.forEach((child, i) => {
        if (i > 0) lines.push('    --');
        lines.push(`    [*] --> ${node(child.id)}`, `    ${node(child.id)} --> [*]`);
      });
      lines.push('  }');
    } else {
      lines.push(`  ${id} : ${item.id}${item.marks.length ? ` [${item.marks.join(', ')}]` : ''}${item.background ? ' (background)' : ''}`);
    }
    lines.push(`  ${previous} --> ${id}`);
    if (failTo) lines.push(`  ${id} --> ${failTo} : failed`);
    previous = id;
  }
  return previous;
}

export function renderPlanMermaid(scenario: Scenario): string {
  const lines = ['stateDiagram-v2'];
  const afterPre = mermaidList(scenario.preconditions, '[*]', lines, '[*]');
  const afterSteps = mermaidList(scenario.steps, afterPre, lines, 'cleanup');
  lines.push('  state cleanup {');
  const inner: string[] = [];
  const last = mermaidList(scenario.cleanup, '[*]', inner, undefined);
  lines.push(...inner.map((l) => `  ${l}`), `    ${last} --> [*]`, '  }');
  lines.push(`  ${afterSteps} --> cleanup`, '  cleanup --> [*]');
  return `${lines.join('\n')}\n`;
}
