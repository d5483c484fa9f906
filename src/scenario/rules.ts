/**
 * Rules across the document: each one looks at the normalised draft and reports what is wrong, with
 * the written path of the offending key or value. Parts that already failed their schema are skipped,
 * so one mistake is reported once.
 */
import type { RunnerCatalog, RunnerDefinition } from '../runner-contract.js';
import { characterProblems } from './characters.js';
import { checkValue, isMapping } from './check-value.js';
import { findDetachments } from './detached.js';
import { at, formatPath, suggestionHint } from './issues.js';
import type { IssueSink, Path } from './issues.js';
import type { Draft, StepSite } from './normalize.js';
import { findProgramEnv } from './program-env.js';
import { hasUrlCredentials, isAbsoluteHttpUrl, urlCredentialsProblem } from './targets.js';
import { parseTemplate, renderTemplate } from './template.js';
import type { TemplateRef } from './template.js';
import { markNames, phases } from './types.js';
import type { Mark, Step, StepOrGroup } from './types.js';
import { periodNeedsExport, reimportSteps } from './exit-rules.js';
import { scheduleInsideWindow } from './window-rule.js';

export interface RuleContext {
  draft: Draft;
  catalog: RunnerCatalog;
  sink: IssueSink;
  /** `--var` overrides given by the caller. */
  vars: Readonly<Record<string, string>>;
}

type Rule = (context: RuleContext) => void;

interface Placed {
  step: Step;
  site: StepSite;
}

function leaves(context: RuleContext): Placed[] {
  const placed: Placed[] = [];
  for (const phase of phases) {
    for (const item of context.draft.scenario[phase]) {
      for (const step of item.type === 'group' ? item.parallel : [item]) {
        // A step's check is checked as a step: its runner, target, options and templates.
        for (const each of step.check ? [step, step.check] : [step]) {
          const site = context.draft.sites.get(each);
          if (site) placed.push({ step: each, site });
        }
      }
    }
  }
  return placed;
}

function items(context: RuleContext): { item: StepOrGroup; site: StepSite }[] {
  const all: { item: StepOrGroup; site: StepSite }[] = [];
  for (const phase of phases) {
    for (const item of context.draft.scenario[phase]) {
      const site = context.draft.sites.get(item);
      if (site) all.push({ item, site });
      if (item.type === 'group') {
        for (const step of item.parallel) {
          const stepSite = context.draft.sites.get(step);
          if (stepSite) all.push({ item: step, site: stepSite });
        }
      }
    }
  }
  return all;
}

/** A written, valid key of a step (not absent, not already reported). */
function has(site: StepSite, key: string): boolean {
  return Object.hasOwn(site.raw, key) && !site.bad.has(key);
}

function runnerOf(context: RuleContext, { step, site }: Placed): RunnerDefinition | undefined {
  if (has(site, 'uses')) return context.catalog[step.uses];
  // A check that names no runner takes its step's, once that one passed.
  const checked = site.checks;
  const checkedSite = checked ? context.draft.sites.get(checked) : undefined;
  return checked && checkedSite && !Object.hasOwn(site.raw, 'uses') && has(checkedSite, 'uses') ? context.catalog[checked.uses] : undefined;
}

const uniqueIds: Rule = (context) => {
  const first = new Map<string, Path>();
  for (const { item, site } of items(context)) {
    if (!has(site, 'id')) continue;
    const seen = first.get(item.id);
    if (seen === undefined) {
      first.set(item.id, site.path);
      continue;
    }
    context.sink.report(
      { code: 'duplicate-id', message: at([...site.path, 'id'], `duplicate id "${item.id}", already used by ${formatPath(seen)}`), hint: 'ids are unique across preconditions, steps and cleanup' },
      { path: [...site.path, 'id'] },
    );
  }
};

const knownRunners: Rule = (context) => {
  const names = Object.keys(context.catalog);
  for (const { step, site } of leaves(context)) {
    if (!has(site, 'uses') || Object.hasOwn(context.catalog, step.uses)) continue;
    context.sink.report(
      { code: 'unknown-runner', message: at([...site.path, 'uses'], `unknown runner "${step.uses}"`), hint: suggestionHint(step.uses, names, 'runners') },
      { path: [...site.path, 'uses'] },
    );
  }
};

const runArguments: Rule = (context) => {
  for (const placed of leaves(context)) {
    const runner = runnerOf(context, placed);
    const { site } = placed;
    if (!runner || site.bad.has('run')) continue;
    const written = Object.hasOwn(site.raw, 'run');
    if (runner.run === 'required' && !written) {
      context.sink.report(
        { code: 'run-required', message: at(site.path, `runner "${runner.name}" needs run: an argument array`), hint: 'e.g. run: [systemctl, stop, postgresql]' },
        { path: [...site.path, 'uses'] },
      );
    } else if (runner.run === 'forbidden' && written) {
      context.sink.report(
        { code: 'run-forbidden', message: at(site.path, `runner "${runner.name}" takes no run`), hint: 'its options go under with:' },
        { path: [...site.path, 'run'], at: 'key' },
      );
    }
  }
};

const runnerOptions: Rule = (context) => {
  for (const placed of leaves(context)) {
    const runner = runnerOf(context, placed);
    if (!runner || placed.site.bad.has('with')) continue;
    checkValue(runner.options, placed.step.with, [...placed.site.path, 'with'], context.sink, 'bad-with');
  }
};

const expectations: Rule = (context) => {
  for (const placed of leaves(context)) {
    const runner = runnerOf(context, placed);
    const written = placed.site.raw.expect;
    if (!runner || !has(placed.site, 'expect') || !isMapping(written)) continue;
    for (const key of Object.keys(written)) {
      if ((runner.expects as readonly string[]).includes(key)) continue;
      const supported = runner.expects.length ? `it checks ${runner.expects.join(', ')}` : 'it checks nothing';
      context.sink.report(
        { code: 'unsupported-expect', message: at([...placed.site.path, 'expect'], `runner "${runner.name}" does not check ${key}`), hint: supported },
        { path: [...placed.site.path, 'expect', key], at: 'key' },
      );
    }
  }
};

const stepTargets: Rule = (context) => {
  const declared = context.draft.declared.targets;
  for (const placed of leaves(context)) {
    const { step, site } = placed;
    if (!has(site, 'on') || step.on === undefined) continue;
    const path = [...site.path, 'on'];
    const runner = runnerOf(context, placed);
    if (runner && runner.targetKinds.length === 0) {
      context.sink.report({ code: 'target-kind', message: at(path, `runner "${runner.name}" takes no target`), hint: 'remove on:' }, { path });
      continue;
    }
    if (declared === undefined) continue;
    if (!declared.has(step.on)) {
      const names = [...declared];
      context.sink.report(
        { code: 'unknown-target', message: at(path, `no target "${step.on}" is declared`), hint: names.length ? suggestionHint(step.on, names, 'declared targets') : 'declare it under targets:' },
        { path },
      );
      continue;
    }
    const target = context.draft.scenario.targets[step.on];
    if (runner && target && !runner.targetKinds.includes(target.kind)) {
      context.sink.report(
        {
          code: 'target-kind',
          message: at(path, `target "${step.on}" has kind ${target.kind}; runner "${runner.name}" runs on ${runner.targetKinds.join(' or ')} targets`),
          hint: `name a target of kind ${runner.targetKinds.join(' or ')}, or leave out on:`,
        },
        { path },
      );
    }
  }
};

/** Options that name another target (`s3.export`'s `to.target`): declared, and of a kind the runner takes. */
const optionTargets: Rule = (context) => {
  const declared = context.draft.declared.targets;
  if (declared === undefined) return;
  for (const placed of leaves(context)) {
    const runner = runnerOf(context, placed);
    if (!runner?.targetOptions || !has(placed.site, 'with')) continue;
    for (const { path: optionPath, kinds } of runner.targetOptions) {
      let value: unknown = placed.step.with;
      for (const key of optionPath) value = isMapping(value) ? value[key] : undefined;
      if (typeof value !== 'string') continue;
      const path = [...placed.site.path, 'with', ...optionPath];
      const target = context.draft.scenario.targets[value];
      if (!declared.has(value) || !target) {
        const names = [...declared];
        context.sink.report(
          { code: 'unknown-target', message: at(path, `no target "${value}" is declared`), hint: names.length ? suggestionHint(value, names, 'declared targets') : 'declare it under targets:' },
          { path },
        );
      } else if (!kinds.includes(target.kind)) {
        context.sink.report(
          { code: 'target-kind', message: at(path, `target "${value}" has kind ${target.kind}; ${optionPath.join('.')} must name a target of kind ${kinds.join(' or ')}`), hint: `name a target of kind ${kinds.join(' or ')}` },
          { path },
        );
      }
    }
  }
};

/** Absolute as far as can be known before templates are filled in: a scheme and `//` written out. */
function isAbsoluteUrlText(url: string): boolean {
  const { parts } = parseTemplate(url);
  if (!parts.some((part) => 'ref' in part)) return isAbsoluteHttpUrl(parts.map((part) => ('literal' in part ? part.literal : '')).join(''));
  const first = parts[0];
  const prefix = first !== undefined && 'literal' in first ? first.literal : '';
  return prefix === '' || /^https?:\/\//i.test(prefix);
}

const absoluteUrls: Rule = (context) => {
  for (const placed of leaves(context)) {
    const runner = runnerOf(context, placed);
    const { step, site } = placed;
    const url = step.with.url;
    if (!runner || !runner.targetKinds.includes('http') || has(site, 'on') || site.bad.has('on') || typeof url !== 'string') continue;
    // Reported as url-credentials: the user info is what makes it read as not absolute.
    if (isAbsoluteUrlText(url) || hasUrlCredentials(withKnownVars(context, url))) continue;
    context.sink.report(
      {
        code: 'relative-url',
        message: at([...site.path, 'with', 'url'], `${JSON.stringify(url)} is not an absolute URL and the step names no target`),
        hint: 'write the whole URL (https://host/path), or add on: with an http target whose baseUrl it extends',
      },
      { path: [...site.path, 'with', 'url'] },
    );
  }
};

/**
 * The environment of a runner's command (`with.env` of local, ssh, ssh.dump: every runner that takes
 * `run`) must not change how programs load or run, unless `allowEnv` says so, and then it is a warning.
 */
const programEnvironment: Rule = (context) => {
  const allowed = new Set(context.draft.scenario.allowEnv ?? []);
  // Inheriting such a variable from drillbook's environment changes programs just as setting it does.
  const inherited = (names: readonly string[], path: Path): void => {
    names.forEach((name, index) => {
      const known = findProgramEnv(name);
      if (known === undefined || name === 'PATH' || allowed.has(name)) return;
      context.sink.report(
        {
          code: 'unsafe-env',
          message: at(path, `${name} ${known.does}; steps inherit it only when allowEnv lists it`),
          hint: `if the drill needs it, add allowEnv: [${name}] at the top level of the scenario`,
        },
        { path: [...path, index] },
      );
    });
  };
  inherited(context.draft.scenario.inheritEnv ?? [], ['inheritEnv']);
  for (const placed of leaves(context)) inherited(placed.step.inheritEnv ?? [], [...placed.site.path, 'inheritEnv']);
  for (const placed of leaves(context)) {
    const runner = runnerOf(context, placed);
    const env = placed.step.with.env;
    if (!runner || runner.run === 'forbidden' || !has(placed.site, 'with') || !isMapping(env)) continue;
    for (const name of Object.keys(env)) {
      const known = findProgramEnv(name);
      if (known === undefined) continue;
      const path = [...placed.site.path, 'with', 'env'];
      const place = { path: [...path, name], at: 'key' as const };
      if (allowed.has(name)) {
        context.sink.report(
          { code: 'allowed-env', message: at(path, `${name} ${known.does} (allowed by allowEnv)`), hint: 'remove it from allowEnv when the drill no longer needs it' },
          place,
        );
      } else {
        context.sink.report(
          {
            code: 'unsafe-env',
            message: at(path, `${name} ${known.does}; a step sets it only when allowEnv lists it`),
            hint: `if the drill needs it, add allowEnv: [${name}] at the top level of the scenario`,
          },
          place,
        );
      }
    }
  }
};

/** `text` with the vars filled in as far as validation knows them (the file's values, `--var`); anything else is `x`. */
function withKnownVars(context: RuleContext, text: string): string {
  if (!text.includes('${{')) return text;
  const { vars } = context.draft.scenario;
  return renderTemplate(text, (ref) => (ref.scope === 'vars' ? (context.vars[ref.name] ?? vars[ref.name] ?? 'x') : 'x'));
}

/** A command that starts a process meant to outlive it: a warning, since the step's end and stop miss it. */
const detachedProcesses: Rule = (context) => {
  for (const placed of leaves(context)) {
    const runner = runnerOf(context, placed);
    const { step, site } = placed;
    if (!runner || runner.run === 'forbidden' || !has(site, 'run') || step.run === undefined) continue;
    for (const { index, token, does } of findDetachments(step.run.map((arg) => withKnownVars(context, arg)))) {
      const path = [...site.path, 'run', index];
      context.sink.report(
        {
          code: 'detached-process',
          message: at(path, `step "${step.id}" may leave a process running after it ends or is stopped: ${does}`),
          hint: `a step ends when its command exits, and is stopped through its process group (over ssh, its session); ${token} lets a process escape that. Run it in the foreground, or as a step of its own with background: true, which drillbook stops`,
        },
        { path },
      );
    }
  }
};

/** What an http step sends: no credentials in its URL, no line break in a header. */
const httpRequests: Rule = (context) => {
  for (const placed of leaves(context)) {
    const runner = runnerOf(context, placed);
    const { step, site } = placed;
    if (!runner || !runner.targetKinds.includes('http') || !has(site, 'with')) continue;
    const { url, headers } = step.with;
    if (typeof url === 'string' && hasUrlCredentials(withKnownVars(context, url))) {
      context.sink.report({ code: 'url-credentials', message: at([...site.path, 'with', 'url'], urlCredentialsProblem.message), hint: urlCredentialsProblem.hint }, { path: [...site.path, 'with', 'url'] });
    }
    if (!isMapping(headers)) continue;
    const path = [...site.path, 'with', 'headers'];
    for (const [name, value] of Object.entries(headers)) {
      const inName = lineBreak(name, name);
      if (inName !== undefined) {
        context.sink.report(
          { code: 'bad-header', message: at(path, `the header name ${JSON.stringify(name)} has a line break (${inName}); a header is one line`), hint: 'remove the line break: it would end the header and start another' },
          { path: [...path, name], at: 'key' },
        );
      }
      const inValue = typeof value === 'string' ? lineBreak(value, withKnownVars(context, value)) : undefined;
      if (inValue !== undefined) {
        context.sink.report(
          { code: 'bad-header', message: at([...path, name], `the value has a line break (${inValue}); a header is one line`), hint: 'remove the line break: it would end the header and start another' },
          { path: [...path, name] },
        );
      }
    }
  }
};

/** `LF` or `CR` when `resolved` has one; a CR written in the file is already a control-character error. */
function lineBreak(written: string, resolved: string): 'LF' | 'CR' | undefined {
  if (resolved.includes('\n')) return 'LF';
  return resolved.includes('\r') && !written.includes('\r') ? 'CR' : undefined;
}

/** Whether the outputs of `source` exist when `reader` starts. */
function runsBefore(source: Placed, reader: Placed): string | undefined {
  const a = source.site;
  const b = reader.site;
  if (source.step === reader.step) return 'a step cannot read its own outputs';
  if (b.phase === 'cleanup' && a.phase !== 'cleanup') return undefined;
  if (source.step.background) return `step "${source.step.id}" runs in the background; its outputs are available to cleanup only`;
  const phaseA = phases.indexOf(a.phase);
  const phaseB = phases.indexOf(b.phase);
  if (phaseA < phaseB || (phaseA === phaseB && a.order < b.order)) return undefined;
  if (phaseA === phaseB && a.order === b.order) return `step "${source.step.id}" runs in parallel with this one`;
  return `step "${source.step.id}" runs after this one`;
}

interface TemplateSite {
  text: string;
  path: Path;
}

/** Strings of `run` and, at any depth, of `with`: where templates may appear. */
function templateSites(placed: Placed): TemplateSite[] {
  const sites: TemplateSite[] = [];
  const { step, site } = placed;
  if (has(site, 'run')) step.run?.forEach((text, index) => sites.push({ text, path: [...site.path, 'run', index] }));
  const visit = (value: unknown, path: Path, depth: number): void => {
    if (typeof value === 'string') sites.push({ text: value, path });
    else if (depth > 32) return;
    else if (Array.isArray(value)) value.forEach((item, index) => visit(item, [...path, index], depth + 1));
    else if (isMapping(value)) for (const [key, item] of Object.entries(value)) visit(item, [...path, key], depth + 1);
  };
  if (has(site, 'with')) visit(step.with, [...site.path, 'with'], 0);
  return sites;
}

const templateHint = 'a template is ${{ vars.NAME }}, ${{ secrets.NAME }}, ${{ steps.ID.outputs.NAME }} or ${{ marks.t0 }}; $${{ writes a literal ${{';

const templates: Rule = (context) => {
  const all = leaves(context);
  const byId = new Map<string, Placed>();
  for (const placed of all) if (has(placed.site, 'id') && !byId.has(placed.step.id)) byId.set(placed.step.id, placed);
  const { declared, looseIds } = context.draft;

  const checkRef = (ref: TemplateRef, raw: string, where: TemplateSite, reader: Placed): void => {
    const place = { path: where.path, needle: raw };
    const report = (
      code: 'undefined-var' | 'undefined-secret' | 'unknown-step' | 'undefined-output' | 'output-not-ready' | 'bad-template' | 'mark-not-ready',
      message: string,
      hint?: string,
    ): void => context.sink.report({ code, message: at(where.path, message), hint }, place);
    if (ref.scope === 'marks') {
      if (!(markNames as readonly string[]).includes(ref.name)) {
        report('bad-template', `unknown mark "${ref.name}" in ${raw}`, `the marks are ${markNames.join(' and ')}`);
        return;
      }
      const setter = markSites(context).find((site) => site.mark === ref.name && site.placed.site.phase === 'steps' && !site.placed.step.background);
      if (!setter) {
        report('mark-not-ready', `${raw} has no value: no step sets mark "${ref.name}"`, `set marks: ${ref.name} on the step it stands for`);
        return;
      }
      // Cleanup runs after every step; elsewhere the mark must have been reached when the reader starts.
      if (reader.site.phase === 'cleanup') return;
      const why = setter.placed.step === reader.step ? `step "${reader.step.id}" sets it` : runsBefore(setter.placed, reader);
      if (why !== undefined) report('mark-not-ready', `${raw} is not reached here: ${why}`, 'a step reads the marks set by steps that ran before it');
      return;
    }
    if (ref.scope === 'vars' || ref.scope === 'secrets') {
      const names = declared[ref.scope];
      if (names === undefined || names.has(ref.name)) return;
      const noun = ref.scope === 'vars' ? 'var' : 'secret';
      report(ref.scope === 'vars' ? 'undefined-var' : 'undefined-secret', `undefined ${noun} "${ref.name}" in ${raw}`, names.size ? suggestionHint(ref.name, [...names], `declared ${ref.scope}`) : `declare it under ${ref.scope}:`);
      return;
    }
    const source = byId.get(ref.stepId);
    if (!source) {
      if (looseIds.has(ref.stepId)) return;
      report('unknown-step', `unknown step "${ref.stepId}" in ${raw}`, suggestionHint(ref.stepId, [...byId.keys()], 'steps'));
      return;
    }
    if (source.site.bad.has('outputs')) return;
    const outputs = Object.keys(source.step.outputs);
    if (!outputs.includes(ref.output)) {
      report(
        'undefined-output',
        `step "${ref.stepId}" declares no output "${ref.output}" (in ${raw})`,
        outputs.length ? suggestionHint(ref.output, outputs, 'its outputs') : `declare it under outputs: of step "${ref.stepId}"`,
      );
      return;
    }
    const why = runsBefore(source, reader);
    if (why !== undefined) report('output-not-ready', `${raw} is not available here: ${why}`, 'a step reads the outputs of steps that finished before it starts');
  };

  for (const reader of all) {
    for (const where of templateSites(reader)) {
      if (!where.text.includes('${{')) continue;
      const { parts, problems } = parseTemplate(where.text);
      for (const problem of problems) {
        const close = where.text.indexOf('}}', problem.offset);
        const needle = where.text.slice(problem.offset, close >= 0 ? close + 2 : undefined);
        context.sink.report({ code: 'bad-template', message: at(where.path, problem.message), hint: templateHint }, { path: where.path, needle });
      }
      for (const part of parts) if ('ref' in part) checkRef(part.ref, part.raw, where, reader);
    }
  }

  // Target kinds that name secrets (a key passphrase …) must name declared ones.
  const secrets = declared.secrets;
  if (secrets === undefined) return;
  for (const [name, { kind, options }] of context.draft.targetOptions) {
    for (const secret of kind.secretRefs?.(options) ?? []) {
      if (secrets.has(secret)) continue;
      context.sink.report(
        {
          code: 'undefined-secret',
          message: at(['targets', name], `undefined secret "${secret}"`),
          hint: secrets.size ? suggestionHint(secret, [...secrets], 'declared secrets') : 'declare it under secrets:',
        },
        { path: ['targets', name], needle: secret },
      );
    }
  }
};

interface MarkSite {
  mark: Mark;
  placed: Placed;
  path: Path;
}

function markSites(context: RuleContext): MarkSite[] {
  const found: MarkSite[] = [];
  for (const placed of leaves(context)) {
    if (!has(placed.site, 'marks')) continue;
    const written = placed.site.raw.marks;
    placed.step.marks.forEach((mark, index) => {
      const path = Array.isArray(written) ? [...placed.site.path, 'marks', index] : [...placed.site.path, 'marks'];
      found.push({ mark, placed, path });
    });
  }
  return found;
}

const marks: Rule = (context) => {
  const first = new Map<Mark, MarkSite>();
  for (const site of markSites(context)) {
    const { mark, placed, path } = site;
    if (placed.site.phase !== 'steps') {
      context.sink.report(
        { code: 'mark-phase', message: at(path, `mark "${mark}" in ${placed.site.phase}; marks belong to steps`), hint: 'preconditions and cleanup are not timed against the objectives' },
        { path },
      );
      continue;
    }
    if (placed.step.background) {
      context.sink.report(
        { code: 'background-mark', message: at(path, `a background step cannot set mark "${mark}"`), hint: 'set the mark on the step that acts (the disaster, the recovery check)' },
        { path },
      );
      continue;
    }
    const earlier = first.get(mark);
    if (earlier) {
      context.sink.report(
        { code: 'duplicate-mark', message: at(path, `mark "${mark}" is already set by step "${earlier.placed.step.id}"`), hint: 'each mark is set by one step' },
        { path },
      );
      continue;
    }
    first.set(mark, site);
  }
  const t0 = first.get('t0');
  const recovered = first.get('recovered');
  if (recovered && !t0) {
    context.sink.report(
      { code: 'missing-t0', message: at(recovered.path, 'recovered is set but no step sets t0'), hint: 'set marks: t0 on the step that declares the disaster' },
      { path: recovered.path },
    );
  }
  if (recovered && t0 && recovered.placed.site.order < t0.placed.site.order) {
    context.sink.report(
      {
        code: 'mark-order',
        message: at(recovered.path, `recovered comes before t0 (step "${t0.placed.step.id}")`),
        hint: 'RTO runs from the start of the t0 step to the end of the recovered step; the recovered step comes later',
      },
      { path: recovered.path },
    );
  }
};

const background: Rule = (context) => {
  const sets = markSites(context).filter((site) => site.placed.site.phase === 'steps' && !site.placed.step.background);
  for (const placed of leaves(context)) {
    const { step, site } = placed;
    if (has(site, 'until') && !step.background) {
      if (site.bad.has('background')) continue;
      context.sink.report(
        { code: 'until-without-background', message: at([...site.path, 'until'], 'until only applies to a background step'), hint: 'add background: true, or remove until' },
        { path: [...site.path, 'until'], at: 'key' },
      );
      continue;
    }
    if (!step.background) continue;
    const path = [...site.path, 'background'];
    if (site.group) {
      context.sink.report(
        { code: 'background-in-group', message: at(path, 'a step of a parallel group cannot run in the background'), hint: 'move the background step out of the group, before it' },
        { path, at: 'key' },
      );
      continue;
    }
    if (site.phase !== 'steps') {
      context.sink.report(
        { code: 'background-phase', message: at(path, `background steps belong to steps, not ${site.phase}`), hint: 'move it under steps:' },
        { path, at: 'key' },
      );
      continue;
    }
    if (step.until !== undefined && has(site, 'until') && !sets.some((mark) => mark.mark === step.until && mark.placed.site.order > site.order)) {
      context.sink.report(
        { code: 'until-mark-missing', message: at([...site.path, 'until'], `no later step sets mark "${step.until}"`), hint: `set marks: ${step.until} on a later step, or remove until` },
        { path: [...site.path, 'until'] },
      );
    }
  }
};

/** Only resume runs a check, and only for a step of the drill that ran in the foreground and gives no outputs. */
const checks: Rule = (context) => {
  for (const { step, site } of leaves(context)) {
    if (!step.check || !has(site, 'check')) continue;
    const path = [...site.path, 'check'];
    const problem =
      site.phase !== 'steps'
        ? {
            code: 'check-phase' as const,
            message: `a check belongs to a step under steps, not ${site.phase}`,
            hint: site.phase === 'cleanup' ? 'a cleanup step cut short runs again from its start: make it safe to repeat instead' : 'preconditions change nothing: remove check',
          }
        : step.background
          ? { code: 'check-background' as const, message: 'a background step cannot have a check', hint: 'declare idempotent: true to restart it on resume, or remove check' }
          : Object.keys(step.outputs).length > 0
            ? {
                code: 'check-outputs' as const,
                message: 'a step with outputs cannot have a check: a check that finds the work done cannot give the outputs later steps read',
                hint: 'move the outputs to a step of their own after this one, or declare idempotent: true',
              }
            : undefined;
    if (problem) context.sink.report({ code: problem.code, message: at(path, problem.message), hint: problem.hint }, { path, at: 'key' });
    const checkSite = context.draft.sites.get(step.check);
    const runner = checkSite ? runnerOf(context, { step: step.check, site: checkSite }) : undefined;
    if (!problem && runner && runner.checks !== true) {
      const usable = Object.values(context.catalog).filter((r) => r.checks === true).map((r) => r.name);
      const where = Object.hasOwn(checkSite?.raw ?? {}, 'uses') ? [...path, 'uses'] : path;
      context.sink.report(
        {
          code: 'check-runner',
          message: at(where, `runner "${runner.name}" cannot check whether the step was done: it ${runner.expects.length === 0 ? 'cannot fail on what it finds' : 'changes what it touches'}`),
          hint: `a check looks and can find the work not done: use ${usable.join(', ')}`,
        },
        { path: where, ...(where === path ? { at: 'key' as const } : {}) },
      );
    }
  }
};

const objectives: Rule = (context) => {
  const { draft, sink } = context;
  const { objectives: written } = draft.scenario;
  const set = new Set(markSites(context).filter((site) => site.placed.site.phase === 'steps').map((site) => site.mark));
  if (written.rtoMs !== undefined) {
    const missing = (['t0', 'recovered'] as const).filter((mark) => !set.has(mark));
    if (missing.length) {
      sink.report(
        {
          code: 'rto-without-marks',
          message: at(['objectives', 'rto'], `an RTO needs marks t0 and recovered, but no step sets ${missing.join(' or ')}`),
          hint: 'set marks: t0 on the disaster step and marks: recovered on the step proving the service is back',
        },
        { path: ['objectives', 'rto'] },
      );
    }
  }
  const from = written.rpoFrom;
  if (from === undefined) return;
  const path = ['objectives', 'rpoFrom'];
  const all = leaves(context).filter((placed) => has(placed.site, 'id'));
  const source = all.find((placed) => placed.step.id === from.stepId);
  if (!source) {
    if (draft.looseIds.has(from.stepId)) return;
    sink.report(
      { code: 'bad-rpo-from', message: at(path, `no step "${from.stepId}"`), hint: suggestionHint(from.stepId, all.map((placed) => placed.step.id), 'steps') },
      { path },
    );
    return;
  }
  const outputs = Object.keys(source.step.outputs);
  if (!source.site.bad.has('outputs') && !outputs.includes(from.output)) {
    sink.report(
      {
        code: 'bad-rpo-from',
        message: at(path, `step "${from.stepId}" declares no output "${from.output}"`),
        hint: outputs.length ? suggestionHint(from.output, outputs, 'its outputs') : `declare it under outputs: of step "${from.stepId}"`,
      },
      { path },
    );
  }
};

const varOverrides: Rule = (context) => {
  // Typed on a command line, but as able as the file to carry an escape sequence to a terminal.
  for (const [name, value] of Object.entries(context.vars)) {
    for (const { problem } of characterProblems(value, `--var ${name}: the value `)) context.sink.report(problem, { path: ['vars'], at: 'key' });
  }
  const declared = context.draft.declared.vars;
  if (declared === undefined) return;
  for (const name of Object.keys(context.vars)) {
    if (declared.has(name)) continue;
    context.sink.report(
      { code: 'undeclared-var', message: `--var ${name}: no var "${name}" is declared`, hint: declared.size ? suggestionHint(name, [...declared], 'declared vars') : 'declare it under vars: with a default value' },
      { path: ['vars'], at: 'key' },
    );
  }
};

/** Every rule, in the order their findings read best; each reports all it finds. */
/** Production runs wait for signed approvals unless the scenario says plainly that they do not. */
function productionApproval(context: RuleContext): void {
  const { scenario } = context.draft;
  if (scenario.environment !== 'production' || scenario.approval !== undefined) return;
  context.sink.report(
    { code: 'approval-required', message: at(['environment'], 'environment: production needs an approval: block'), hint: 'add approval: { approvers: { keys: [approver.pub] }, quorum: 1 }, or approval: none to run on the terminal confirmation alone' },
    { path: ['environment'] },
  );
}

/** An approval gate holds back the drill's next steps: it has no place where nothing waits on it. */
const gates: Rule = (context) => {
  for (const { step, site } of leaves(context)) {
    const runner = runnerOf(context, { step, site });
    if (!runner?.gate || site.checks) continue;
    if (site.phase === 'steps' && !step.background) {
      // A gate whose failure is let through holds nothing back.
      if (step.continueOnError && has(site, 'continueOnError')) {
        context.sink.report(
          { code: 'gate-phase', message: at([...site.path, 'continueOnError'], 'an approval step cannot continue on error: the steps after it would run unapproved'), hint: 'remove continueOnError' },
          { path: [...site.path, 'continueOnError'] },
        );
      }
      continue;
    }
    const where = site.phase !== 'steps' ? `${site.phase}, which ${site.phase === 'cleanup' ? 'must run whatever happened' : 'change nothing'}` : 'the background, where no step waits for it';
    context.sink.report(
      { code: 'gate-phase', message: at([...site.path, 'uses'], `an approval step holds back the steps after it; it cannot be in ${where}`), hint: 'put it under steps, before the step it guards, in the foreground' },
      { path: [...site.path, 'uses'] },
    );
  }
};

export const rules: readonly Rule[] = [
  uniqueIds,
  knownRunners,
  runArguments,
  runnerOptions,
  expectations,
  stepTargets,
  optionTargets,
  absoluteUrls,
  httpRequests,
  programEnvironment,
  detachedProcesses,
  templates,
  marks,
  background,
  checks,
  gates,
  objectives,
  varOverrides,
  scheduleInsideWindow,
  productionApproval,
  reimportSteps,
  periodNeedsExport,
];

export function applyRules(context: RuleContext): void {
  for (const rule of rules) rule(context);
}
