/**
 * Checking plain data against the zod pieces of schema.ts, reporting every problem as a placed issue.
 * Mappings are checked key by key and lists item by item, so one bad value never hides the others and
 * the good parts still reach the rules.
 */
import { z } from 'zod';
import { at, describeValue, listWords, notes, suggestionHint } from './issues.js';
import type { IssueCode, IssueSink, Path, SchemaNote } from './issues.js';

type Segment = string | number;

export function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Optional, default, nullable, readonly, lazy and pipe wrappers peeled off, outermost first. */
function layers(schema: z.ZodType): z.ZodType[] {
  const seen: z.ZodType[] = [];
  let current: z.ZodType | undefined = schema;
  while (current !== undefined && seen.length < 16) {
    seen.push(current);
    if (current instanceof z.ZodOptional || current instanceof z.ZodNullable || current instanceof z.ZodDefault || current instanceof z.ZodReadonly) {
      current = current.unwrap() as z.ZodType;
    } else if (current instanceof z.ZodLazy) {
      current = current.unwrap() as z.ZodType;
    } else if (current instanceof z.ZodPipe) {
      current = current.in as z.ZodType;
    } else {
      current = undefined;
    }
  }
  return seen;
}

function inner(schema: z.ZodType): z.ZodType {
  const all = layers(schema);
  return all[all.length - 1] ?? schema;
}

function noteFor(schema: z.ZodType | undefined): SchemaNote {
  if (schema === undefined) return {};
  for (const layer of layers(schema)) {
    const found = notes.get(layer);
    if (found) return found;
  }
  return {};
}

function child(schema: z.ZodType | undefined, segment: Segment): z.ZodType | undefined {
  if (schema === undefined) return undefined;
  const base = inner(schema);
  if (base instanceof z.ZodObject) return (base.shape as Record<string, z.ZodType>)[String(segment)];
  if (base instanceof z.ZodRecord) return base.valueType as z.ZodType;
  if (base instanceof z.ZodArray) return base.element as z.ZodType;
  if (base instanceof z.ZodUnion) {
    for (const option of base.options as z.ZodType[]) {
      const found = child(option, segment);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

function schemaAt(schema: z.ZodType, path: readonly Segment[]): z.ZodType | undefined {
  let current: z.ZodType | undefined = schema;
  for (const segment of path) current = child(current, segment);
  return current;
}

function valueAt(value: unknown, path: readonly Segment[]): unknown {
  let current = value;
  for (const segment of path) {
    if (Array.isArray(current) && typeof segment === 'number') current = current[segment];
    else if (isMapping(current) && typeof segment === 'string' && Object.hasOwn(current, segment)) current = current[segment];
    else return undefined;
  }
  return current;
}

function knownKeys(schema: z.ZodType | undefined): string[] {
  const base = schema === undefined ? undefined : inner(schema);
  return base instanceof z.ZodObject ? Object.keys(base.shape) : [];
}

const expectedWords: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  object: 'a mapping',
  record: 'a mapping',
  array: 'a list',
  null: 'nothing',
};

function quoteHint(value: unknown): string | undefined {
  return typeof value === 'number' || typeof value === 'boolean' ? `quote it: "${String(value)}"` : undefined;
}

function unquoteHint(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)) ? `write ${value.trim()} without quotes` : undefined;
}

const numeric = (expected: string): boolean => expected === 'number' || expected === 'int';

interface Translation {
  root: z.ZodType;
  value: unknown;
  base: Path;
  sink: IssueSink;
  /** Code for every issue but unknown keys (e.g. `bad-with` inside a runner's options). */
  code?: IssueCode | undefined;
}

function report(t: Translation, code: IssueCode | undefined, path: Path, message: string, hint: string | undefined): void {
  t.sink.report({ code: t.code ?? code ?? 'bad-value', message: at(path, message), hint }, { path });
}

function translate(issue: z.core.$ZodIssue, t: Translation): void {
  const rel = issue.path.map((segment) => (typeof segment === 'symbol' ? String(segment) : segment));
  const path = [...t.base, ...rel];
  const schema = schemaAt(t.root, rel);
  const note = noteFor(schema);
  const value = valueAt(t.value, rel);
  switch (issue.code) {
    case 'unrecognized_keys': {
      const allowed = knownKeys(schema);
      for (const key of issue.keys) {
        t.sink.report(
          { code: 'unknown-key', message: at(path, `unknown key "${key}"`), hint: suggestionHint(key, allowed, 'allowed keys') },
          { path: [...path, key], at: 'key' },
        );
      }
      return;
    }
    case 'invalid_type': {
      const parentValue = valueAt(t.value, rel.slice(0, -1));
      const last = rel[rel.length - 1];
      if (value === undefined && typeof last === 'string' && isMapping(parentValue) && !Object.hasOwn(parentValue, last)) {
        t.sink.report({ code: t.code ?? 'missing-key', message: at(path.slice(0, -1), `missing required key "${last}"`) }, { path: path.slice(0, -1) });
        return;
      }
      const expected = note.expected ?? expectedWords[issue.expected] ?? issue.expected;
      const quote = issue.expected === 'string' ? quoteHint(value) : numeric(issue.expected) ? unquoteHint(value) : undefined;
      report(t, note.code ?? 'wrong-type', path, `expected ${expected}, got ${describeValue(value)}`, quote ?? note.hint);
      return;
    }
    case 'invalid_value': {
      const values = issue.values.map((v) => String(v));
      const message =
        values.length === 1 ? `must be ${values[0] ?? ''}, got ${describeValue(value)}` : `must be one of ${listWords(values)}, got ${describeValue(value)}`;
      report(t, note.code, path, message, valueHint(value, issue.values) ?? note.hint);
      return;
    }
    case 'invalid_format':
      report(t, note.code, path, `${describeValue(value)} is not ${note.expected ?? `a valid ${issue.format}`}`, note.hint);
      return;
    case 'too_small':
    case 'too_big': {
      const limit = issue.code === 'too_small' ? issue.minimum : issue.maximum;
      const least = issue.code === 'too_small';
      let message: string;
      if (issue.origin === 'array') message = least ? `must list at least ${String(limit)} item${limit === 1 ? '' : 's'}` : `must list at most ${String(limit)} items`;
      else if (issue.origin === 'string') message = least && Number(limit) === 1 ? 'must not be empty' : `must be ${least ? 'at least' : 'at most'} ${String(limit)} characters long`;
      else message = `must be ${least ? 'at least' : 'at most'} ${String(limit)}, got ${describeValue(value)}`;
      report(t, note.code, path, message, note.hint);
      return;
    }
    case 'custom': {
      const params = (issue.params ?? {}) as { code?: IssueCode; hint?: string };
      report(t, params.code ?? note.code, path, issue.message, params.hint ?? note.hint);
      return;
    }
    case 'invalid_union': {
      translateUnion(issue, schema, value, path, note, t);
      return;
    }
    default:
      report(t, note.code, path, issue.message, note.hint);
  }
}

/** For a value that is not one of `allowed`: `"1"` quoted by mistake, or a close spelling. */
function valueHint(value: unknown, allowed: readonly unknown[]): string | undefined {
  if (typeof value !== 'string') return undefined;
  const unquoted = allowed.some((option) => (typeof option === 'number' || typeof option === 'boolean') && String(option) === value);
  if (unquoted) return `write ${value} without quotes`;
  const close = suggestionHint(value, allowed.map(String), '');
  return close?.startsWith('did you mean') ? close : undefined;
}

/** A branch's problem at the union's own value: the wrong type, or a value of the right type that is not allowed. */
function rootMismatch(branch: readonly z.core.$ZodIssue[], value: unknown): 'type' | 'value' | undefined {
  let found: 'type' | 'value' | undefined;
  for (const issue of branch) {
    if (issue.path.length > 0) continue;
    if (issue.code === 'invalid_type') return 'type';
    if (issue.code === 'invalid_value') found = issue.values.some((option) => typeof option === typeof value) ? 'value' : 'type';
  }
  return found;
}

/**
 * Report the branch the value was evidently meant for: one it has the shape of (fewest problems), else
 * one whose type it has (an enum it misspells), else a type error naming every form.
 */
function translateUnion(issue: z.core.$ZodIssueInvalidUnion, schema: z.ZodType | undefined, value: unknown, path: Path, note: SchemaNote, t: Translation): void {
  const base = schema === undefined ? undefined : inner(schema);
  const options = base instanceof z.ZodUnion ? (base.options as z.ZodType[]) : [];
  let best: { index: number; issues: z.core.$ZodIssue[] } | undefined;
  let misspelt: { index: number; issues: z.core.$ZodIssue[] } | undefined;
  issue.errors.forEach((branch, index) => {
    const mismatch = rootMismatch(branch, value);
    if (mismatch === undefined && (best === undefined || branch.length < best.issues.length)) best = { index, issues: branch };
    if (mismatch === 'value' && misspelt === undefined) misspelt = { index, issues: branch };
  });
  best ??= misspelt;
  const option = best === undefined ? undefined : options[best.index];
  if (best !== undefined && option !== undefined) {
    for (const inner of best.issues) translate(inner, { ...t, root: option, value, base: path });
    return;
  }
  const wantsNumber = issue.errors.some((branch) => branch.some((inner) => inner.path.length === 0 && inner.code === 'invalid_type' && numeric(inner.expected)));
  const hint = (wantsNumber ? unquoteHint(value) : undefined) ?? note.hint;
  report(t, note.code ?? 'wrong-type', path, `expected ${note.expected ?? 'another type'}, got ${describeValue(value)}`, hint);
}

/** Check one value; every problem is reported. The parsed value, or undefined when there was a problem. */
export function checkValue<S extends z.ZodType>(schema: S, value: unknown, path: Path, sink: IssueSink, code?: IssueCode): z.output<S> | undefined {
  let result: z.ZodSafeParseResult<z.output<S>>;
  try {
    result = schema.safeParse(value);
  } catch {
    // zod's length checks run before its type check and can throw on a mapping with a `length` key that is
    // itself a mapping: that value is simply of the wrong type.
    const note = noteFor(schema);
    sink.report({ code: code ?? note.code ?? 'wrong-type', message: at(path, `expected ${note.expected ?? 'another type'}, got ${describeValue(value)}`), hint: note.hint }, { path });
    return undefined;
  }
  if (result.success) return result.data;
  for (const issue of result.error.issues) translate(issue, { root: schema, value, base: path, sink, code });
  return undefined;
}

function notMapping(path: Path, value: unknown, sink: IssueSink, expected: string, code: IssueCode = 'wrong-type', hint?: string): void {
  sink.report({ code, message: at(path, `expected ${expected}, got ${describeValue(value)}`), hint }, { path });
}

export interface Fields<S extends z.ZodRawShape> {
  /** Parsed values of the keys that passed (the skipped keys are not in here). */
  values: { [K in keyof S]?: z.output<S[K]> };
  /** The mapping as written. */
  raw: Record<string, unknown>;
  /** Keys that were written but did not pass. */
  bad: Set<string>;
}

/**
 * A strict mapping, key by key: unknown keys (with a did-you-mean), missing required keys, then each
 * present key against its schema. Keys in `skip` are left to the caller, which checks them its own way.
 */
export function checkFields<S extends z.ZodRawShape>(
  shape: S,
  value: unknown,
  path: Path,
  sink: IssueSink,
  skip: readonly (keyof S & string)[] = [],
  expected = 'a mapping',
): Fields<S> | undefined {
  if (!isMapping(value)) {
    notMapping(path, value, sink, expected);
    return undefined;
  }
  const allowed = Object.keys(shape);
  const fields: Fields<S> = { values: {}, raw: value, bad: new Set() };
  for (const key of Object.keys(value)) {
    if (!Object.hasOwn(shape, key)) {
      sink.report({ code: 'unknown-key', message: at(path, `unknown key "${key}"`), hint: suggestionHint(key, allowed, 'allowed keys') }, { path: [...path, key], at: 'key' });
    }
  }
  for (const key of allowed) {
    const schema = shape[key] as z.ZodType;
    if (!Object.hasOwn(value, key)) {
      if (!schema.safeParse(undefined).success) {
        sink.report({ code: 'missing-key', message: at(path, `missing required key "${key}"`) }, { path });
        fields.bad.add(key);
      }
      continue;
    }
    if ((skip as readonly string[]).includes(key)) continue;
    const before = sink.issues.length;
    const parsed: unknown = checkValue(schema, value[key], [...path, key], sink);
    if (sink.issues.length > before) fields.bad.add(key);
    else (fields.values as Record<string, unknown>)[key] = parsed;
  }
  return fields;
}

/**
 * A mapping of names to values (vars, secrets, targets, outputs): each name against `names`, each value
 * by `each`. Returns the entries that passed and every name written.
 */
export function checkEntries<T>(
  value: unknown,
  path: Path,
  sink: IssueSink,
  names: z.ZodType<string>,
  each: (entry: unknown, path: Path, name: string) => T | undefined,
): { entries: Map<string, T>; written: Set<string> } | undefined {
  if (!isMapping(value)) {
    notMapping(path, value, sink, 'a mapping of names');
    return undefined;
  }
  const entries = new Map<string, T>();
  const written = new Set(Object.keys(value));
  for (const [name, entry] of Object.entries(value)) {
    if (!names.safeParse(name).success) {
      const n = noteFor(names);
      sink.report({ code: n.code ?? 'bad-name', message: at(path, `"${name}" is not ${n.expected ?? 'a valid name'}`), hint: n.hint }, { path: [...path, name], at: 'key' });
      continue;
    }
    const parsed = each(entry, [...path, name], name);
    if (parsed !== undefined) entries.set(name, parsed);
  }
  return { entries, written };
}

/** `{ kind: value }` with exactly one key from `table` (targets, secrets, outputs). */
export function checkKind(
  table: Readonly<Record<string, z.ZodType>>,
  value: unknown,
  path: Path,
  sink: IssueSink,
  problem: { code: IssueCode; hint: string },
): { kind: string; value: unknown } | undefined {
  const kinds = Object.keys(table);
  const forms = listWords(kinds);
  if (!isMapping(value)) {
    notMapping(path, value, sink, `a mapping with one of ${forms}`, problem.code, problem.hint);
    return undefined;
  }
  const keys = Object.keys(value);
  if (keys.length === 0) {
    sink.report({ code: problem.code, message: at(path, `expected one of ${forms}`), hint: problem.hint }, { path });
    return undefined;
  }
  let chosen: string | undefined;
  let ok = true;
  for (const key of keys) {
    if (!Object.hasOwn(table, key)) {
      sink.report({ code: 'unknown-key', message: at(path, `unknown key "${key}"`), hint: suggestionHint(key, kinds, 'allowed keys') }, { path: [...path, key], at: 'key' });
      ok = false;
    } else if (chosen !== undefined) {
      sink.report({ code: problem.code, message: at(path, `give only one of ${forms}`), hint: problem.hint }, { path: [...path, key], at: 'key' });
      ok = false;
    } else {
      chosen = key;
    }
  }
  const schema = chosen === undefined ? undefined : table[chosen];
  if (chosen === undefined || schema === undefined) return undefined;
  const parsed: unknown = checkValue(schema, value[chosen], [...path, chosen], sink);
  return ok && parsed !== undefined ? { kind: chosen, value: parsed } : undefined;
}
