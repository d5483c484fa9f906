/** Step outputs: values taken from what a step printed, for templates and `rpoFrom`. */
import type { Observation } from '../runner-contract.js';
import type { OutputSpec } from '../scenario/types.js';

export type OutputsResult = { ok: true; values: Record<string, string> } | { ok: false; message: string };

function fromPointer(document: unknown, pointer: string): unknown {
  if (pointer === '') return document;
  let node: unknown = document;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, key)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

export function extractOutputs(specs: Record<string, OutputSpec>, observation: Observation): OutputsResult {
  const values: Record<string, string> = {};
  const stdout = observation.stdout?.text ?? '';
  let parsed: { value: unknown } | undefined;
  for (const [name, spec] of Object.entries(specs)) {
    if ('stdout' in spec) {
      const match = new RegExp(spec.stdout, 'm').exec(stdout);
      const value = match?.[1] ?? match?.[0];
      if (value === undefined) return { ok: false, message: `output ${name}: stdout does not match /${spec.stdout}/` };
      values[name] = value;
    } else {
      if (!parsed) {
        try {
          parsed = { value: JSON.parse(stdout) as unknown };
        } catch {
          return { ok: false, message: `output ${name}: stdout is not JSON${observation.stdout?.truncated ? ' (capture truncated)' : ''}` };
        }
      }
      const value = fromPointer(parsed.value, spec.json);
      if (value === undefined) return { ok: false, message: `output ${name}: JSON pointer ${spec.json} not found in stdout` };
      values[name] = typeof value === 'string' ? value : JSON.stringify(value);
    }
  }
  return { ok: true, values };
}
