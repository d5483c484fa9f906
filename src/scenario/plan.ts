/**
 * What `drillbook plan` prints, as text or a Mermaid state diagram: rendered by walking the compiled machine
 * (its states and their `meta`), so the plan shows what runs, not a second reading of the scenario. Pure.
 */
import { describeApprovers } from './approvers.js';
import type { CompiledScenario, GroupMeta, ScenarioMeta, StateConfig, StepMeta } from './compile.js';
import { formatDuration } from './duration.js';
import { formatCount, formatSize } from './size.js';
import type { ExitPlan } from './types.js';
import { revealInvisible } from '../visible-text.js';

/** A step or a group as the compiled machine orders them. */
type PlanItem = (StepMeta & { type: 'step' }) | (GroupMeta & { type: 'group'; parallel: StepMeta[] });

interface PlanView {
  scenario: ScenarioMeta;
  preconditions: PlanItem[];
  confirm: boolean;
  steps: PlanItem[];
  cleanup: PlanItem[];
}

const child = (state: StateConfig | undefined, key: string): StateConfig | undefined => state?.states?.[key];

/** The steps and groups of a chain of states, in order; a background step is found in its own region. */
function chainItems(chain: StateConfig | undefined, background: (stepId: string) => StepMeta | undefined): PlanItem[] {
  const items: PlanItem[] = [];
  for (const [key, state] of Object.entries(chain?.states ?? {})) {
    if (key.startsWith('_')) continue;
    const meta = state.meta;
    if (meta?.kind === 'step') items.push({ ...meta, type: 'step' });
    else if (meta?.kind === 'group') {
      const parallel = Object.values(state.states ?? {}).flatMap((region) => {
        const run = region.states?.['run']?.meta;
        return run?.kind === 'step' ? [run] : [];
      });
      items.push({ ...meta, type: 'group', parallel });
    } else {
      const started = state.entry?.find((a) => a.type === 'startBackground');
      const step = started && 'params' in started ? background((started.params).stepId) : undefined;
      if (step) items.push({ ...step, type: 'step' });
    }
  }
  return items;
}

export function planView(compiled: CompiledScenario): PlanView {
  const root = compiled.machine;
  if (root.meta?.kind !== 'scenario') throw new Error('not a compiled scenario: its root state has no scenario meta');
  const active = child(root, 'active');
  const main = child(active, 'main');
  const background = (stepId: string): StepMeta | undefined => {
    const meta = child(child(main, `background-${stepId}`), 'run')?.meta;
    return meta?.kind === 'step' ? meta : undefined;
  };
  const sequence = main?.type === 'parallel' ? child(main, 'sequence') : main;
  return {
    scenario: root.meta,
    preconditions: chainItems(child(active, 'preconditions'), background),
    confirm: child(active, 'confirm') !== undefined,
    steps: chainItems(sequence, background),
    cleanup: chainItems(child(root, 'cleanup'), background),
  };
}

function approvalLines(approval: ScenarioMeta['approval']): string[] {
  if (approval === undefined) return [];
  if (approval === 'none') return ['', 'approval: none (a production run without signed approvals, recorded as a deviation)'];
  return ['', `approval: ${describeApprovers(approval, approval.quorum)} sign (drillbook approve BUNDLE --key K) within ${formatDuration(approval.timeoutMs)}, or the run ends ABORTED with nothing run`];
}

function stepLine(step: StepMeta): string {
  const where = step.on ? ` on ${step.on}` : '';
  const facts = [`timeout ${formatDuration(step.timeoutMs)}`];
  if (step.retry.attempts > 1) facts.push(`${step.retry.attempts} attempts, ${formatDuration(step.retry.backoffMs)} apart`);
  if (step.background) facts.push(step.until ? `background until ${step.until}` : 'background until the steps end');
  if (step.continueOnError) facts.push('continues on error');
  if (step.idempotent) facts.push('idempotent');
  if (step.checked) facts.push('checked on resume');
  const marks = step.marks.length ? ` [${step.marks.join(', ')}]` : '';
  const run = step.run ? `  $ ${step.run.map((a) => (/[\s"'$]/.test(a) ? JSON.stringify(a) : a)).join(' ')}` : '';
  return `${step.id}${marks}: ${step.uses}${where} · ${facts.join(' · ')}${run}`;
}

function listLines(list: readonly PlanItem[], counter: { n: number }): string[] {
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

export function renderPlanText(compiled: CompiledScenario): string {
  const view = planView(compiled);
  const scenario = view.scenario;
  const o = scenario.objectives;
  const objectives = [
    o.rtoMs !== undefined ? `RTO ${formatDuration(o.rtoMs)}` : undefined,
    o.rpoMs !== undefined ? `RPO ${formatDuration(o.rpoMs)}${o.rpoFrom ? ` (measured by ${o.rpoFrom.stepId}.${o.rpoFrom.output})` : ''}` : undefined,
    o.exitPeriodMs !== undefined ? `exit period ${formatDuration(o.exitPeriodMs)}` : undefined,
  ].filter(Boolean);
  const counter = { n: 0 };
  const lines = [
    `${scenario.id} (${scenario.scenarioKind}): ${scenario.title}`,
    `owner ${scenario.owner}${scenario.environment ? ` · environment ${scenario.environment}` : ''}${scenario.deadlineMs !== undefined ? ` · deadline ${formatDuration(scenario.deadlineMs)}` : ''}`,
    `objectives: ${objectives.length ? objectives.join(' · ') : 'none declared'}`,
    ...(scenario.exit ? exitLines(scenario.exit) : []),
    '',
    'preconditions (read-only checks; a failure stops the run before any side effect, exit 4)',
    ...(view.preconditions.length ? listLines(view.preconditions, counter) : ['  (none)']),
    ...approvalLines(scenario.approval),
    ...(view.confirm ? ['', 'confirmation: production: asks on the terminal, or --yes'] : []),
    '',
    'steps (a failure goes straight to cleanup)',
    ...listLines(view.steps, counter),
    '',
    'cleanup (always runs once steps have started: after success, failure, timeout, deadline or interrupt)',
    ...(view.cleanup.length ? listLines(view.cleanup, counter) : ['  (none)']),
  ];
  return revealInvisible(`${lines.join('\n')}\n`);
}

const node = (id: string): string => `s_${id.replace(/-/g, '_')}`;

function mermaidList(list: readonly PlanItem[], from: string, lines: string[], failTo: string | undefined): string {
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

export function renderPlanMermaid(compiled: CompiledScenario): string {
  const view = planView(compiled);
  const lines = ['stateDiagram-v2'];
  const afterPre = mermaidList(view.preconditions, '[*]', lines, '[*]');
  const afterSteps = mermaidList(view.steps, afterPre, lines, 'cleanup');
  lines.push('  state cleanup {');
  const inner: string[] = [];
  const last = mermaidList(view.cleanup, '[*]', inner, undefined);
  lines.push(...inner.map((l) => `  ${l}`), `    ${last} --> [*]`, '  }');
  lines.push(`  ${afterSteps} --> cleanup`, '  cleanup --> [*]');
  return `${lines.join('\n')}\n`;
}
