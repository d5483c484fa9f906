/**
 * `drillbook runbook`: the scenario as a person carries it out by hand when drillbook itself is down, in the
 * order the compiled machine runs it: purpose, owner, objectives, targets, every precondition, step and
 * cleanup with the exact command (vars resolved, secrets and values known only at run time shown as
 * references), what success looks like, timeouts and retries, what a failure leads to, and a blank column
 * for times noted by hand. Markdown for a wiki, self-contained HTML for print. Pure.
 */
import { describeApprovers } from './approvers.js';
import type { CompiledScenario, StepMeta } from './compile.js';
import { formatDuration } from './duration.js';
import { planView } from './plan.js';
import { formatRef, renderTemplate, type TemplateRef } from './template.js';
import type { Expectation, Scenario, Step, Target } from './types.js';
import { escapeMarkup } from '../markup.js';
import { revealInvisible } from '../visible-text.js';

export interface RunbookRow {
  number: string;
  id: string;
  name?: string;
  what: string;
  /** The command, or the options, as they will run. */
  command?: string;
  success: string;
  /** What the person does when it does not succeed. */
  onFailure: string;
  limits: string;
}

export interface RunbookSection {
  title: string;
  note: string;
  rows: RunbookRow[];
}

export interface RunbookView {
  title: string;
  /** SHA-256 of the scenario file the runbook was made from: `run --runbook` compares it. */
  scenarioSha256: string;
  facts: [string, string][];
  /** Each target: its name, how it is reached, and what to check before acting on it (host keys). */
  targets: { name: string; text: string; checks: string[] }[];
  sections: RunbookSection[];
}

/** A template as the operator reads it: vars filled in, the rest named for what it will be. */
function shown(text: string, vars: Readonly<Record<string, string>>): string {
  return renderTemplate(text, (ref: TemplateRef) => {
    if (ref.scope === 'vars') return vars[ref.name] ?? `<var ${ref.name}>`;
    if (ref.scope === 'secrets') return `<secret ${ref.name}>`;
    if (ref.scope === 'marks') return `<time of ${ref.name}>`;
    return `<${formatRef(ref)}>`;
  });
}

function shownValue(value: unknown, vars: Readonly<Record<string, string>>): unknown {
  if (typeof value === 'string') return shown(value, vars);
  if (Array.isArray(value)) return value.map((item) => shownValue(item, vars));
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, shownValue(item, vars)]));
  return value;
}

const quoteArg = (arg: string): string => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`);

function successOf(step: Step): string {
  const e: Expectation = step.expect ?? {};
  const parts = [
    e.exitCode ? `exit code ${e.exitCode.join(' or ')}` : undefined,
    e.status ? `HTTP status ${e.status.join(' or ')}` : undefined,
    e.stdout !== undefined ? `output matches /${e.stdout}/` : undefined,
    e.stderr !== undefined ? `error output matches /${e.stderr}/` : undefined,
    e.body !== undefined ? `body matches /${e.body}/` : undefined,
  ].filter((part): part is string => part !== undefined);
  if (parts.length) return parts.join(', ');
  if (step.run) return 'exit code 0';
  if (step.uses === 'http') return 'HTTP status 2xx';
  return 'the step reports no error';
}

/** A manual step as a person reads it: who, what to do, what to tick off and write down. */
function manualTask(step: Step): { task: string; success: string } {
  const w = step.with as { instructions?: unknown; confirm?: unknown; assignee?: unknown; record?: unknown };
  const strings = (value: unknown): string[] => (Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []);
  const confirm = strings(w.confirm);
  const record = strings(w.record);
  const task = [
    typeof w.assignee === 'string' ? `For ${w.assignee}:` : undefined,
    typeof w.instructions === 'string' ? w.instructions.trim() : undefined,
    ...confirm.map((item) => `[ ] ${item}`),
    ...record.map((name) => `${name}: ____________`),
  ].filter((line): line is string => line !== undefined);
  const success = [confirm.length ? 'every item ticked' : undefined, record.length ? `${record.join(', ')} written down` : undefined].filter(Boolean).join(', ');
  return { task: task.join('\n'), success: success || 'the person says it is done' };
}

/** What the compiled machine does when the step fails, said as what the person does. */
function onFailureOf(step: StepMeta, cleanupFirst: string | undefined): string {
  const again = step.retry.attempts > 1 ? `try again, up to ${step.retry.attempts} times in all, ${formatDuration(step.retry.backoffMs)} apart; then ` : '';
  if (step.phase === 'preconditions') return `${again}stop: nothing has been changed; fix the cause and start again from step 1`;
  if (step.phase === 'cleanup') return `${again}note it and go on with the next cleanup step; before you leave, finish this one by hand or hand it over`;
  if (step.background) return `${again}note it and go on: the drill does not wait for it`;
  if (step.continueOnError) return `${again}note it and go on: the drill counts as PARTIAL`;
  return `${again}stop the steps${cleanupFirst ? ` and go to the cleanup (step ${cleanupFirst})` : ': there is no cleanup'}; the drill counts as FAIL`;
}

/** What a person does when the step was interrupted: find out with the step's check whether it was done. */
function checkLine(check: Step, vars: Readonly<Record<string, string>>): string {
  const how = check.run ? `\`${check.run.map((arg) => quoteArg(shown(arg, vars))).join(' ')}\`` : check.uses === 'manual' ? 'a look' : check.uses;
  return `if interrupted, find out whether it was done with ${how}${check.on ? ` on ${check.on}` : ''}: done, go on; not done, do it again`;
}

function limitsOf(step: StepMeta): string {
  const parts = [`timeout ${formatDuration(step.timeoutMs)}`];
  if (step.retry.attempts > 1) parts.push(`${step.retry.attempts} attempts, ${formatDuration(step.retry.backoffMs)} apart`);
  if (step.background) parts.push(step.until ? `runs in the background until ${step.until}` : 'runs in the background until the steps end');
  if (step.continueOnError) parts.push('a failure does not stop the drill');
  if (step.idempotent) parts.push('safe to do again if interrupted');
  if (step.marks.length) parts.push(`marks ${step.marks.join(', ')} when it passes`);
  return parts.join('; ');
}

function targetLine(target: Target): string {
  if ('options' in target) return `${target.kind}: ${Object.entries(target.options).map(([key, value]) => `${key} ${JSON.stringify(value)}`).join(', ')}`;
  return 'baseUrl' in target ? `${target.kind}: baseUrl ${target.baseUrl}` : target.kind;
}

/** `targetFacts`: what the runners say a person must check on each target (see RunnerDefinition.targetFacts). */
export function runbookView(scenario: Scenario, compiled: CompiledScenario, targetFacts: Readonly<Record<string, string[]>> = {}): RunbookView {
  const plan = planView(compiled);
  const count = (items: ReturnType<typeof planView>['steps']): number => items.length;
  const firstCleanup = plan.cleanup.length ? String(count(plan.preconditions) + count(plan.steps) + 1) : undefined;
  const steps = new Map([...scenario.preconditions, ...scenario.steps, ...scenario.cleanup].flatMap((s) => (s.type === 'group' ? s.parallel : [s])).map((s) => [s.id, s]));
  const row = (meta: StepMeta, number: string): RunbookRow => {
    const step = steps.get(meta.id);
    const manual = step?.uses === 'manual' ? manualTask(step) : undefined;
    const command =
      manual?.task ??
      (step?.run ? step.run.map((arg) => quoteArg(shown(arg, scenario.vars))).join(' ') : step && Object.keys(step.with).length ? JSON.stringify(shownValue(step.with, scenario.vars)) : undefined);
    return {
      number,
      id: meta.id,
      ...(meta.name ? { name: meta.name } : {}),
      what: `${meta.uses}${meta.on ? ` on ${meta.on}` : ''}`,
      ...(command ? { command } : {}),
      success: manual?.success ?? (step ? successOf(step) : 'the step reports no error'),
      onFailure: onFailureOf(meta, firstCleanup),
      limits: [limitsOf(meta), ...(step?.check ? [checkLine(step.check, scenario.vars)] : [])].join('; '),
    };
  };
  const counter = { n: 0 };
  const rows = (items: ReturnType<typeof planView>['steps']): RunbookRow[] =>
    items.flatMap((item) => {
      counter.n += 1;
      if (item.type === 'step') return [row(item, String(counter.n))];
      return item.parallel.map((child, i) => row(child, `${counter.n}${String.fromCharCode(97 + (i % 26))}`));
    });
  const o = scenario.objectives;
  const facts: [string, string][] = [
    ['Scenario', `${scenario.id} (${scenario.kind})`],
    ['Owner', scenario.owner],
    ...(scenario.environment ? [['Environment', scenario.environment] as [string, string]] : []),
    ...(scenario.description ? [['Purpose', scenario.description.trim()] as [string, string]] : []),
    ['Objectives', [o.rtoMs !== undefined ? `RTO ${formatDuration(o.rtoMs)}` : '', o.rpoMs !== undefined ? `RPO ${formatDuration(o.rpoMs)}` : '', o.exitPeriodMs !== undefined ? `exit period ${formatDuration(o.exitPeriodMs)}` : ''].filter(Boolean).join(', ') || 'none declared'],
    ...(scenario.deadlineMs !== undefined ? [['Deadline', formatDuration(scenario.deadlineMs)] as [string, string]] : []),
    ...(typeof scenario.approval === 'object'
      ? [['Approval', `before any step, these approvers sign: ${describeApprovers(scenario.approval, scenario.approval.quorum)}`] as [string, string]]
      : []),
    ['Source', `${scenario.source.file} (SHA-256 ${scenario.source.sha256})`],
  ];
  return {
    title: scenario.title,
    scenarioSha256: scenario.source.sha256,
    facts,
    targets: Object.entries(scenario.targets).map(([name, target]) => ({ name, text: targetLine(target), checks: targetFacts[name] ?? [] })),
    sections: [
      { title: 'Preconditions', note: 'Read-only checks. If one fails, stop: nothing has been changed yet.', rows: rows(plan.preconditions) },
      { title: 'Steps', note: `In order. If a step fails (and does not say it may), go to the cleanup.${plan.confirm ? ' Production: confirm with the owner before the first step.' : ''}`, rows: rows(plan.steps) },
      { title: 'Cleanup', note: 'Always, once the steps have started: after success, failure, timeout or interrupt.', rows: rows(plan.cleanup) },
    ],
  };
}

const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

const digestLine = (sha256: string): string => `<!-- drillbook-scenario-sha256: ${sha256} -->`;

/** The scenario digest a Markdown or HTML runbook says it was made from; undefined for anything else (a PDF, a scan). */
export function runbookScenarioSha256(text: string): string | undefined {
  return (/^<!-- drillbook-scenario-sha256: ([0-9a-f]{64}) -->$/m.exec(text) ?? /<meta name="drillbook-scenario-sha256" content="([0-9a-f]{64})">/.exec(text))?.[1];
}

export function renderRunbookMarkdown(view: RunbookView): string {
  const lines = [digestLine(view.scenarioSha256), `# Runbook: ${view.title}`, '', ...view.facts.map(([name, value]) => `- **${name}**: ${value}`), ''];
  if (view.targets.length) {
    lines.push('## Targets', '', ...view.targets.flatMap((t) => [`- \`${t.name}\` ${cell(t.text)}`, ...t.checks.map((check) => `  - ${cell(check)}`)]), '');
  }
  for (const section of view.sections) {
    lines.push(`## ${section.title}`, '', section.note, '');
    if (!section.rows.length) {
      lines.push('(none)', '');
      continue;
    }
    lines.push('| # | step | what | command | success | if it fails | limits | started | done |', '|---|---|---|---|---|---|---|---|---|');
    for (const r of section.rows) {
      lines.push(
        `| ${r.number} | ${cell(r.name ? `${r.id}: ${r.name}` : r.id)} | ${cell(r.what)} | ${r.command ? `\`${cell(r.command).replace(/`/g, "'")}\`` : ''} | ${cell(r.success)} | ${cell(r.onFailure)} | ${cell(r.limits)} |  |  |`,
      );
    }
    lines.push('');
  }
  return revealInvisible(`${lines.join('\n')}`);
}

export function renderRunbookHtml(view: RunbookView): string {
  const x = escapeMarkup;
  const sections = view.sections
    .map((section) => {
      const rows = section.rows
        .map((r) => `<tr><td>${x(r.number)}</td><td><b>${x(r.id)}</b>${r.name ? `<br>${x(r.name)}` : ''}</td><td>${x(r.what)}</td><td>${r.command ? `<code>${x(r.command)}</code>` : ''}</td><td>${x(r.success)}</td><td>${x(r.onFailure)}</td><td>${x(r.limits)}</td><td class="blank"></td><td class="blank"></td></tr>`)
        .join('\n');
      const table = section.rows.length
        ? `<table><thead><tr><th>#</th><th>step</th><th>what</th><th>command</th><th>success</th><th>if it fails</th><th>limits</th><th>started</th><th>done</th></tr></thead><tbody>\n${rows}\n</tbody></table>`
        : '<p>(none)</p>';
      return `<h2>${x(section.title)}</h2>\n<p>${x(section.note)}</p>\n${table}`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="drillbook-scenario-sha256" content="${x(view.scenarioSha256)}"><title>Runbook: ${x(view.title)}</title>
<style>
body { font: 11pt/1.4 system-ui, sans-serif; margin: 1.5cm; color: #111; }
table { border-collapse: collapse; width: 100%; page-break-inside: auto; }
tr { page-break-inside: avoid; }
th, td { border: 1px solid #999; padding: 4px 6px; vertical-align: top; text-align: left; }
code { font: 9pt ui-monospace, monospace; word-break: break-all; }
td.blank { width: 5em; }
@page { size: A4 landscape; margin: 1cm; }
</style></head><body>
<h1>Runbook: ${x(view.title)}</h1>
<dl>${view.facts.map(([name, value]) => `<dt>${x(name)}</dt><dd>${x(value)}</dd>`).join('')}</dl>
${view.targets.length ? `<h2>Targets</h2><ul>${view.targets.map((t) => `<li><code>${x(t.name)}</code> ${x(t.text)}${t.checks.length ? `<ul>${t.checks.map((c) => `<li>${x(c)}</li>`).join('')}</ul>` : ''}</li>`).join('')}</ul>` : ''}
${sections}
</body></html>
`;
}
