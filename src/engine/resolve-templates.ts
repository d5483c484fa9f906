/** Resolve a step's templates at the moment it runs: values are data, substituted and never evaluated. */
import { formatRef, renderTemplate, type TemplateRef } from '../scenario/template.js';
import type { Step } from '../scenario/types.js';

export interface TemplateValues {
  vars: Readonly<Record<string, string>>;
  secrets: Readonly<Record<string, string>>;
  outputs(stepId: string): Readonly<Record<string, string>> | undefined;
  /** Marks reached so far, as ISO 8601 UTC instants (`t0` → `2026-11-28T14:00:00.000Z`). */
  marks?: Readonly<Record<string, string>>;
}

export type ResolvedStep = { ok: true; argv?: string[]; options: Record<string, unknown> } | { ok: false; message: string };

class MissingValue extends Error {}

/** A value that is a URL (`scheme://…`) as written. */
const urlPattern = /^[a-z][a-z0-9+.-]*:\/\//i;

export function resolveStepTemplates(step: Step, values: TemplateValues): ResolvedStep {
  const lookup = (ref: TemplateRef): string => {
    const value =
      ref.scope === 'vars'
        ? values.vars[ref.name]
        : ref.scope === 'secrets'
          ? values.secrets[ref.name]
          : ref.scope === 'marks'
            ? values.marks?.[ref.name]
            : values.outputs(ref.stepId)?.[ref.output];
    if (value === undefined) {
      const why =
        ref.scope === 'steps' ? ` (step ${ref.stepId} did not pass or did not produce it)` : ref.scope === 'marks' ? ' (the mark was not reached)' : '';
      throw new MissingValue(`${formatRef(ref)} has no value${why}`);
    }
    return value;
  };
  // In a URL a secret is a component value: encoded, its `#`, `?`, `/` or `\` cannot change where the URL
  // points, and the redactor knows the encoded form.
  const inUrl = (ref: TemplateRef): string => (ref.scope === 'secrets' ? encodeURIComponent(lookup(ref)) : lookup(ref));
  const renderText = (text: string): string => renderTemplate(text, urlPattern.test(text) ? inUrl : lookup);
  const render = (value: unknown): unknown => {
    if (typeof value === 'string') return renderText(value);
    if (Array.isArray(value)) return value.map(render);
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, render(v)]));
    }
    return value;
  };
  try {
    const options = render(step.with) as Record<string, unknown>;
    return step.run ? { ok: true, argv: step.run.map(renderText), options } : { ok: true, options };
  } catch (error) {
    if (error instanceof MissingValue) return { ok: false, message: error.message };
    throw error;
  }
}
