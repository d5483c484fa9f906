/**
 * `${{ … }}` templates in `run` elements and `with` strings. Values are substituted as data:
 * the result is one string per element, never re-parsed or evaluated. `$${{` is a literal `${{`.
 * `marks.t0` / `marks.recovered` are the instants those marks were reached, as ISO 8601 UTC text.
 */

export type TemplateRef =
  | { scope: 'vars'; name: string }
  | { scope: 'secrets'; name: string }
  | { scope: 'marks'; name: string }
  | { scope: 'steps'; stepId: string; output: string };

export type TemplatePart = { literal: string } | { ref: TemplateRef; raw: string; offset: number };

export interface TemplateProblem {
  /** Offset of the `${{` in the string. */
  offset: number;
  message: string;
}

const name = '[A-Za-z_][A-Za-z0-9_-]*';
const expressionPattern = new RegExp(`^(?:(vars|secrets|marks)\\.(${name})|steps\\.(${name})\\.outputs\\.(${name}))$`);

export function parseTemplate(text: string): { parts: TemplatePart[]; problems: TemplateProblem[] } {
  const parts: TemplatePart[] = [];
  const problems: TemplateProblem[] = [];
  let literal = '';
  let i = 0;
  while (i < text.length) {
    if (text.startsWith('$${{', i)) {
      literal += '${{';
      i += 4;
      continue;
    }
    if (!text.startsWith('${{', i)) {
      literal += text[i];
      i += 1;
      continue;
    }
    const close = text.indexOf('}}', i + 3);
    if (close === -1) {
      problems.push({ offset: i, message: 'unterminated template: `${{` without a closing `}}`' });
      literal += text.slice(i);
      break;
    }
    const raw = text.slice(i, close + 2);
    const expression = text.slice(i + 3, close).trim();
    const match = expressionPattern.exec(expression);
    if (!match) {
      problems.push({
        offset: i,
        message: `unknown template expression \`${expression}\`: use vars.NAME, secrets.NAME, steps.ID.outputs.NAME or marks.MARK`,
      });
      literal += raw;
    } else {
      if (literal) parts.push({ literal });
      literal = '';
      const [, scope, scopedName, stepId, output] = match;
      const ref: TemplateRef =
        scope === 'vars' || scope === 'secrets' || scope === 'marks'
          ? { scope, name: scopedName ?? '' }
          : { scope: 'steps', stepId: stepId ?? '', output: output ?? '' };
      parts.push({ ref, raw, offset: i });
    }
    i = close + 2;
  }
  if (literal) parts.push({ literal });
  return { parts, problems };
}

/** Substitute every reference with `resolve(ref)`; the result is plain data. */
export function renderTemplate(text: string, resolve: (ref: TemplateRef) => string): string {
  return parseTemplate(text)
    .parts.map((part) => ('literal' in part ? part.literal : resolve(part.ref)))
    .join('');
}

export function templateRefs(text: string): TemplateRef[] {
  return parseTemplate(text).parts.flatMap((part) => ('ref' in part ? [part.ref] : []));
}

export function formatRef(ref: TemplateRef): string {
  return ref.scope === 'steps' ? `steps.${ref.stepId}.outputs.${ref.output}` : `${ref.scope}.${ref.name}`;
}
