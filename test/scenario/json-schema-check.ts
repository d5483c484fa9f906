/**
 * A small JSON Schema (draft 2020-12) checker for the keywords the generated scenario schema uses, so
 * that tests can check documents against it without another dependency. A keyword it does not know is
 * an error: the schema may not grow beyond what this checks without the test noticing.
 */

type Json = unknown;
type Schema = boolean | Record<string, unknown>;

const annotations = new Set(['$schema', 'title', 'description', '$defs', 'examples', 'default', '$comment']);
const known = new Set([
  ...annotations,
  '$ref',
  'type',
  'properties',
  'required',
  'additionalProperties',
  'propertyNames',
  'items',
  'minItems',
  'maxItems',
  'minLength',
  'maxLength',
  'pattern',
  'const',
  'enum',
  'anyOf',
  'oneOf',
  'allOf',
  'not',
  'if',
  'then',
  'else',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
]);

function typeOf(value: Json): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function hasType(value: Json, type: string): boolean {
  const actual = typeOf(value);
  return actual === type || (type === 'number' && actual === 'integer');
}

function deepEqual(a: Json, b: Json): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function resolveRef(root: Record<string, unknown>, ref: string): Schema {
  if (!ref.startsWith('#/')) throw new Error(`unsupported $ref ${ref}`);
  let current: unknown = root;
  for (const part of ref.slice(2).split('/')) current = (current as Record<string, unknown>)[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  if (current === undefined) throw new Error(`dangling $ref ${ref}`);
  return current as Schema;
}

function check(schema: Schema, value: Json, path: string, root: Record<string, unknown>, errors: string[]): void {
  if (schema === true) return;
  if (schema === false) {
    errors.push(`${path}: no value allowed`);
    return;
  }
  for (const key of Object.keys(schema)) if (!known.has(key)) throw new Error(`json-schema-check does not know keyword ${key}`);
  const s = schema;
  const fail = (message: string): void => void errors.push(`${path || '/'}: ${message}`);
  const passes = (sub: Schema): boolean => {
    const inner: string[] = [];
    check(sub, value, path, root, inner);
    return inner.length === 0;
  };

  if (typeof s.$ref === 'string') check(resolveRef(root, s.$ref), value, path, root, errors);
  if (typeof s.type === 'string' && !hasType(value, s.type)) fail(`expected ${s.type}, got ${typeOf(value)}`);
  if ('const' in s && !deepEqual(s.const, value)) fail(`expected ${JSON.stringify(s.const)}`);
  if (Array.isArray(s.enum) && !s.enum.some((option) => deepEqual(option, value))) fail(`expected one of ${JSON.stringify(s.enum)}`);
  if (Array.isArray(s.allOf)) for (const sub of s.allOf as Schema[]) check(sub, value, path, root, errors);
  if (Array.isArray(s.anyOf) && !(s.anyOf as Schema[]).some(passes)) fail('matches none of anyOf');
  if (Array.isArray(s.oneOf) && (s.oneOf as Schema[]).filter(passes).length !== 1) fail('does not match exactly one of oneOf');
  if (s.not !== undefined && passes(s.not as Schema)) fail('matches a schema under not');
  if (s.if !== undefined) {
    if (passes(s.if as Schema)) {
      if (s.then !== undefined) check(s.then as Schema, value, path, root, errors);
    } else if (s.else !== undefined) check(s.else as Schema, value, path, root, errors);
  }

  if (typeof value === 'string') {
    const length = [...value].length;
    if (typeof s.minLength === 'number' && length < s.minLength) fail(`shorter than ${s.minLength}`);
    if (typeof s.maxLength === 'number' && length > s.maxLength) fail(`longer than ${s.maxLength}`);
    if (typeof s.pattern === 'string' && !new RegExp(s.pattern, 'u').test(value)) fail(`does not match ${s.pattern}`);
  }
  if (typeof value === 'number') {
    if (typeof s.minimum === 'number' && value < s.minimum) fail(`below ${s.minimum}`);
    if (typeof s.maximum === 'number' && value > s.maximum) fail(`above ${s.maximum}`);
    if (typeof s.exclusiveMinimum === 'number' && value <= s.exclusiveMinimum) fail(`not above ${s.exclusiveMinimum}`);
    if (typeof s.exclusiveMaximum === 'number' && value >= s.exclusiveMaximum) fail(`not below ${s.exclusiveMaximum}`);
  }
  if (Array.isArray(value)) {
    if (typeof s.minItems === 'number' && value.length < s.minItems) fail(`fewer than ${s.minItems} items`);
    if (typeof s.maxItems === 'number' && value.length > s.maxItems) fail(`more than ${s.maxItems} items`);
    if (s.items !== undefined) value.forEach((item, index) => check(s.items as Schema, item, `${path}/${index}`, root, errors));
  }
  if (typeOf(value) === 'object') {
    const object = value as Record<string, Json>;
    const properties = (s.properties ?? {}) as Record<string, Schema>;
    for (const name of (s.required ?? []) as string[]) if (!Object.hasOwn(object, name)) fail(`missing ${name}`);
    for (const [name, item] of Object.entries(object)) {
      const itemPath = `${path}/${name}`;
      if (s.propertyNames !== undefined) check(s.propertyNames as Schema, name, `${itemPath} (name)`, root, errors);
      if (Object.hasOwn(properties, name)) check(properties[name] as Schema, item, itemPath, root, errors);
      else if (s.additionalProperties !== undefined) check(s.additionalProperties as Schema, item, itemPath, root, errors);
    }
  }
}

/** Every way `value` fails `schema` (empty when it validates). Throws on keywords it does not know. */
export function jsonSchemaErrors(schema: Record<string, unknown>, value: Json): string[] {
  const errors: string[] = [];
  check(schema, value, '', schema, errors);
  return errors;
}
