/**
 * The JSON Schema editors point at (`# yaml-language-server: $schema=…`), generated from the zod pieces
 * of schema.ts. Per runner, `if uses is X then with/run/on/expect are constrained` is added, so that an
 * editor checks a step's options against the runner it names.
 */
import { z } from 'zod';
import type { RunnerCatalog } from '../runner-contract.js';
import { jsonMeta, scenarioSchema, stepSchema } from './schema.js';

type JsonObject = Record<string, unknown>;

const target = 'draft-2020-12';

function runnerRule(name: string, definition: RunnerCatalog[string], optionsRef: string): JsonObject {
  const then: JsonObject = { properties: { with: { $ref: optionsRef } } };
  const required: string[] = [];
  const forbidden: string[] = [];
  if (definition.run === 'required') required.push('run');
  if (definition.run === 'forbidden') forbidden.push('run');
  if (definition.targetKinds.length === 0) forbidden.push('on');
  // A runner whose options have required keys needs `with`.
  if (!definition.options.safeParse({}).success) required.push('with');
  if (required.length) then.required = required;
  if (forbidden.length) then.not = { anyOf: forbidden.map((key) => ({ required: [key] })) };
  (then.properties as JsonObject).expect = { propertyNames: { enum: [...definition.expects] } };
  return { if: { properties: { uses: { const: name } }, required: ['uses'] }, then };
}

/** Draft 2020-12 JSON Schema of format v1 for the runners of `catalog`. Deterministic: same input, same text. */
export function scenarioJsonSchema(catalog: RunnerCatalog): object {
  const names = Object.keys(catalog);
  const defs: JsonObject = {};
  const rules: JsonObject[] = [];
  for (const name of names) {
    const definition = catalog[name];
    if (!definition) continue;
    const id = `with-${name.replace(/[^A-Za-z0-9_-]/g, '-')}`;
    const { $schema: _drop, ...options } = z.toJSONSchema(definition.options, { target, io: 'input', unrepresentable: 'any' }) as JsonObject;
    defs[id] = { description: `Options of the ${name} runner: ${definition.summary}.`, ...options };
    rules.push(runnerRule(name, definition, `#/$defs/${id}`));
  }

  const generated = z.toJSONSchema(scenarioSchema, {
    target,
    io: 'input',
    metadata: jsonMeta,
    unrepresentable: 'any',
    override: (context) => {
      if (context.zodSchema !== stepSchema) return;
      const json = context.jsonSchema as JsonObject;
      const properties = json.properties as JsonObject;
      properties.uses = { ...(properties.uses as JsonObject), enum: names };
      if (rules.length) json.allOf = rules;
    },
  }) as JsonObject;

  const { $schema, $defs, ...rest } = generated;
  return {
    $schema,
    title: 'drillbook scenario, format version 1',
    description: 'A disaster-recovery drill, backup restore test or exit-readiness test, as drillbook runs it.',
    ...rest,
    $defs: { ...($defs as JsonObject), ...defs },
  };
}
