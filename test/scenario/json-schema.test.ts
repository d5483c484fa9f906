/** The published JSON Schema: committed copy up to date, key places pinned, fixtures checked against it. */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { builtinRunners } from '../../runners/index.js';
import { scenarioJsonSchema } from '../../src/scenario/json-schema.js';
import { jsonSchemaErrors } from './json-schema-check.js';
import { fixtureNames, fixtureText } from './fixtures.js';

const schema = scenarioJsonSchema(builtinRunners) as Record<string, unknown>;
const defs = schema.$defs as Record<string, Record<string, unknown>>;

async function fixtureData(kind: 'valid' | 'invalid', name: string): Promise<unknown> {
  return parse(await fixtureText(kind, name), { version: '1.2', merge: false });
}

describe('scenario JSON Schema', () => {
  it('schema/scenario.schema.json is what scenarioJsonSchema(builtinRunners) generates (npm run schema)', async () => {
    const committed: unknown = JSON.parse(await readFile('schema/scenario.schema.json', 'utf8'));
    expect(committed).toEqual(schema);
    expect(await readFile('schema/scenario.schema.json', 'utf8')).toBe(`${JSON.stringify(schema, null, 2)}\n`);
  });

  it('is draft 2020-12 with the top-level keys of format v1', () => {
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.type).toBe('object');
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required).toEqual(['version', 'kind', 'id', 'title', 'owner', 'objectives', 'steps']);
    expect(Object.keys(schema.properties as object)).toEqual([
      'version', 'kind', 'id', 'title', 'owner', 'description', 'environment', 'cadence', 'schedule', 'timezone',
      'window', 'deadline', 'approval', 'defaults', 'objectives', 'exit', 'controls', 'vars', 'secrets', 'allowEnv', 'inheritEnv', 'targets', 'preconditions', 'steps', 'cleanup',
    ]);
    expect((schema.properties as Record<string, unknown>).version).toEqual({ type: 'number', const: 1, description: 'Format version: 1.' });
  });

  it('shares durations, slugs and names through $defs', () => {
    expect(defs.duration).toMatchObject({ type: 'string', pattern: '^(?=\\d)(?:\\d+d)?(?:\\d+h)?(?:\\d+m(?!s))?(?:\\d+s)?(?:\\d+ms)?$' });
    expect(defs.slug).toMatchObject({ type: 'string', maxLength: 64, pattern: '^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$' });
    expect(defs.name).toMatchObject({ type: 'string', pattern: '^(?!__proto__$)[A-Za-z_][A-Za-z0-9_-]*$' });
    const step = defs.step as { properties: Record<string, unknown>; required: string[] };
    expect(step.properties.timeout).toMatchObject({ $ref: '#/$defs/duration' });
    expect(step.required).toEqual(['id', 'uses']);
  });

  it('constrains with, run, on and expect per runner (if/then)', () => {
    const step = defs.step as { properties: Record<string, { enum?: unknown }>; allOf: { if: { properties: { uses: { const: string } } } }[] };
    const names = Object.keys(builtinRunners);
    expect(step.properties.uses?.enum).toEqual(names);
    expect(step.allOf.map((rule) => rule.if.properties.uses.const)).toEqual(names);
    for (const name of names) expect(defs[`with-${name.replace('.', '-')}`]).toBeDefined();
    const firstThree = step.allOf.filter((rule) => ['local', 'http', 'wait'].includes(rule.if.properties.uses.const));
    expect(firstThree).toEqual([
      {
        if: { properties: { uses: { const: 'local' } }, required: ['uses'] },
        then: {
          properties: { with: { $ref: '#/$defs/with-local' }, expect: { propertyNames: { enum: ['exitCode', 'stdout', 'stderr'] } } },
          required: ['run'],
        },
      },
      {
        if: { properties: { uses: { const: 'http' } }, required: ['uses'] },
        then: {
          properties: { with: { $ref: '#/$defs/with-http' }, expect: { propertyNames: { enum: ['status', 'body'] } } },
          required: ['with'],
          not: { anyOf: [{ required: ['run'] }] },
        },
      },
      {
        if: { properties: { uses: { const: 'wait' } }, required: ['uses'] },
        then: {
          properties: { with: { $ref: '#/$defs/with-wait' }, expect: { propertyNames: { enum: [] } } },
          required: ['with'],
          not: { anyOf: [{ required: ['run'] }, { required: ['on'] }] },
        },
      },
    ]);
    expect(defs['with-wait']).toEqual({
      description: 'Options of the wait runner: pause for a fixed duration (recorded like any step).',
      type: 'object',
      properties: { duration: { type: 'string' } },
      required: ['duration'],
      additionalProperties: false,
    });
  });

  it('writes target kinds, secrets and outputs as single-key alternatives', () => {
    const target = defs.target as { anyOf: { required: string[] }[] };
    expect(target.anyOf.map((option) => option.required)).toEqual([['local'], ['http'], ['ssh'], ['s3']]);
    // A recursive part of a target kind gets a name of its own.
    expect(defs['ssh-jump']).toMatchObject({ type: 'object', additionalProperties: false });
    const secret = defs.secret as { anyOf: { required: string[] }[] };
    expect(secret.anyOf.map((option) => option.required)).toEqual([['env'], ['file']]);
    const output = defs.output as { anyOf: { required: string[] }[] };
    expect(output.anyOf.map((option) => option.required)).toEqual([['stdout'], ['json']]);
    const group = defs.group as { properties: Record<string, unknown> };
    expect(group.properties.parallel).toMatchObject({ type: 'array', minItems: 1, items: { $ref: '#/$defs/step' } });
  });

  it('accepts every valid fixture', async () => {
    for (const name of await fixtureNames('valid')) {
      expect({ name, errors: jsonSchemaErrors(schema, await fixtureData('valid', name)) }).toEqual({ name, errors: [] });
    }
  });

  it('rejects the invalid fixtures whose problem is one of shape', async () => {
    const shapeProblems = [
      'bad-duration', 'bad-id', 'bad-kind', 'bad-name', 'bad-run', 'bad-rpo-from', 'bad-secret', 'bad-size', 'bad-target', 'bad-url',
      'bad-value', 'bad-version', 'bad-with', 'empty-group', 'missing-key', 'nested-group', 'run-forbidden', 'run-required',
      'unknown-format', 'unknown-key', 'unknown-runner', 'unsupported-expect', 'wrong-type',
    ];
    for (const name of shapeProblems) {
      const errors = jsonSchemaErrors(schema, await fixtureData('invalid', name));
      expect({ name, rejected: errors.length > 0 }).toEqual({ name, rejected: true });
    }
  });
});
