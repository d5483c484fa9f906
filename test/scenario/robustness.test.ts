/**
 * No input crashes or stalls the validator: random text, token soup, mutated scenarios, random data
 * under the right keys, and hostile documents (deep nesting, alias bombs, huge files).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { builtinRunners } from '../../runners/index.js';
import { loadScenario, maxScenarioBytes, validateScenario } from '../../src/scenario/validate.js';
import { maxSteps } from '../../src/scenario/limits.js';
import type { ValidationResult } from '../../src/scenario/validate.js';
import { fixtureNames, fixtureText } from './fixtures.js';

const options = { catalog: builtinRunners, vars: { port: '1' } };

/** What is wrong with a result's shape: issues sorted, placed, and none of them ours. Empty when sound. */
function unsound(result: ValidationResult): string[] {
  if (result.ok) return [];
  const problems: string[] = [];
  if (result.issues.length === 0) problems.push('no issues');
  let previous = { line: 0, column: 0 };
  for (const issue of result.issues) {
    if (issue.code === 'internal-error') problems.push(issue.message);
    if (issue.file !== 'fuzz.yaml') problems.push(`file ${issue.file}`);
    if (!Number.isInteger(issue.line) || issue.line < 1 || !Number.isInteger(issue.column) || issue.column < 1) problems.push(`position ${issue.line}:${issue.column}`);
    if (issue.line < previous.line || (issue.line === previous.line && issue.column < previous.column)) problems.push('not sorted');
    if (issue.message.length === 0) problems.push('empty message');
    previous = issue;
  }
  return problems;
}

function validate(text: string): ValidationResult {
  const result = validateScenario(text, 'fuzz.yaml', options);
  // One expect per input: vitest's expect is slow next to the validator.
  expect(unsound(result)).toEqual([]);
  return result;
}

function codes(result: ValidationResult): string[] {
  return result.ok ? [] : result.issues.map((issue) => issue.code);
}

const tokens = [
  'version: 1\n', 'kind: drill\n', 'id: x\n', 'steps:\n', '  - ', 'id: a\n', 'uses: local\n', 'uses: http\n', 'run: ', 'with: ',
  'marks: ', 't0', 'recovered', 'until: ', 'background: true\n', 'parallel:\n', 'outputs:\n', 'expect: ', '{', '}', '[', ']', ',', ':',
  ': ', '-', '- ', '?', '&a ', '*a', '*b', '&b ', '<<: ', '!!str ', '!!binary ', '!x ', '"', "'", '|\n', '>\n', '#', '\n', '  ', '\t',
  '${{ vars.port }}', '${{ steps.a.outputs.x }}', '$${{', '${{', '}}', '---\n', '...\n', '%YAML 1.1\n', '%YAML 1.2\n', '%TAG ! !x\n',
  '\uFEFF', '\r\n', '\r', '\u0000', '\\', '1h30m', '10 minutes', 'null', '~', '0x1F', '1e400', '.nan', '-.inf', 'é', '😀', '\uD800',
];

describe('robustness', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'drillbook-scenario-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('random text', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 400 }), (text) => void validate(text)), { numRuns: 300 });
  });

  it('YAML token soup', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...tokens), { maxLength: 120 }), (parts) => void validate(parts.join(''))),
      { numRuns: 400 },
    );
  });

  it('mutated valid scenarios', async () => {
    const texts = await Promise.all((await fixtureNames('valid')).map((name) => fixtureText('valid', name)));
    const mutation = fc.record({
      text: fc.constantFrom(...texts),
      at: fc.nat(),
      cut: fc.nat({ max: 40 }),
      insert: fc.oneof(fc.constantFrom(...tokens), fc.string({ maxLength: 8 })),
    });
    fc.assert(
      fc.property(mutation, ({ text, at, cut, insert }) => {
        const offset = at % (text.length + 1);
        validate(text.slice(0, offset) + insert + text.slice(offset + cut));
      }),
      { numRuns: 250 },
    );
  });

  it('random values under the keys of the format', () => {
    const value = fc.anything({ maxDepth: 3, withNullPrototype: false, withBigInt: false, withDate: false, withMap: false, withSet: false, withTypedArray: false, withSparseArray: false, withBoxedValues: false });
    const step = fc.dictionary(fc.constantFrom('id', 'uses', 'run', 'with', 'on', 'timeout', 'retry', 'expect', 'outputs', 'marks', 'until', 'background', 'parallel', 'failFast', 'continueOnError'), value);
    const scenario = fc.record(
      {
        version: fc.oneof(fc.constant(1), value),
        kind: fc.oneof(fc.constantFrom('drill', 'restore', 'exit'), value),
        id: value,
        objectives: fc.oneof(fc.constant({ rto: '1m' }), value),
        vars: value,
        secrets: value,
        targets: value,
        steps: fc.oneof(fc.array(step, { maxLength: 4 }), value),
        cleanup: fc.array(step, { maxLength: 2 }),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(scenario, (data) => {
        let text: string;
        try {
          text = stringify(data);
        } catch {
          return; // values YAML cannot write (e.g. symbols) are not inputs
        }
        validate(text);
      }),
      { numRuns: 250 },
    );
  });

  it('a mapping with a `length` key where a string is expected is a type error, not an internal one', () => {
    const result = validate(`version: 1\nkind: drill\nid: { length: {} }\ntitle: t\nowner: o\nobjectives: {}\nsteps:\n  - { id: a, uses: local, run: ["true"] }\n`);
    expect(result.ok ? [] : result.issues).toEqual(expect.arrayContaining([expect.objectContaining({ code: 'bad-id', message: 'id: expected a lowercase slug, got a mapping' })]));
  });

  // How long these take is measured by bench/validate-hostile.mjs, not here.
  it('deep nesting is refused', () => {
    for (const text of ['['.repeat(100_000), '{'.repeat(100_000), `a: ${'['.repeat(100_000)}${']'.repeat(100_000)}`, '- '.repeat(100_000), '? '.repeat(100_000)]) {
      expect(codes(validate(text))).toEqual(['too-deep']);
    }
    const block = Array.from({ length: 1_000 }, (_, depth) => `${' '.repeat(depth)}k${depth}:`).join('\n');
    expect(codes(validate(block))).toEqual(['too-deep']);
  });

  it('a long flow mapping on one line is not deep', () => {
    const pairs = Array.from({ length: 300 }, (_, i) => `v${i}: x`).join(', ');
    expect(codes(validate(`version: 1\nkind: drill\nid: wide\ntitle: t\nowner: o\nobjectives: {}\nvars: { port: "0", ${pairs} }\nsteps: [{ id: s, uses: wait, with: { duration: 1s } }]\n`))).toEqual([]);
  });

  it('alias bombs and self-referencing aliases are refused', () => {
    const levels = ['a: &a [x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 9; i += 1) levels.push(`${'abcdefghi'[i] ?? 'z'}: &${'abcdefghi'[i] ?? 'z'} [${Array(9).fill(`*${'abcdefghi'[i - 1] ?? 'z'}`).join(', ')}]`);
    expect(codes(validate(levels.join('\n')))).toEqual(['alias-bomb']);
    expect(codes(validate('a: &a\n  b: *a\n'))).toEqual(['alias-bomb']);
    expect(codes(validate('&a [*a]\n'))).toEqual(['not-a-mapping']);
  });

  it('many aliases are resolved in one pass over the document, not one pass each', () => {
    const text = `version: 1\nkind: drill\nid: many\ntitle: t\nowner: o\nobjectives: {}\nvars: { a: &a x, port: "0" }\nsteps:\n  - { id: s, uses: local, run: [${Array(9_000).fill('*a').join(', ')}] }\n`;
    expect(validate(text).ok).toBe(true);
  });

  it('huge documents are bounded', () => {
    const justUnder = `description: "${'x'.repeat(maxScenarioBytes - 40)}"\n`;
    expect(codes(validate(justUnder))).toContain('missing-key');

    const over = 'a'.repeat(maxScenarioBytes + 1);
    expect(validate(over)).toEqual({
      ok: false,
      issues: [
        {
          file: 'fuzz.yaml',
          line: 1,
          column: 1,
          severity: 'error',
          code: 'file-too-large',
          message: `the file is ${maxScenarioBytes + 1} bytes; scenario files are limited to ${maxScenarioBytes} bytes (1 MiB)`,
          hint: 'split it, or move large data out of the scenario',
        },
      ],
    });

    const manyKeys = Array.from({ length: 20_000 }, (_, i) => `k${i}: v`).join('\n');
    expect(codes(validate(manyKeys)).filter((code) => code === 'unknown-key')).toHaveLength(20_000);

    const manySteps = (count: number): string =>
      `version: 1\nkind: drill\nid: many\ntitle: t\nowner: o\nobjectives: {}\nvars: { port: "0" }\nsteps:\n${Array.from({ length: count }, (_, i) => `  - { id: s${i}, uses: wait, with: { duration: 1s } }`).join('\n')}\n`;
    expect(validate(manySteps(maxSteps)).ok).toBe(true);
  });

  it('too many steps are refused before any step is checked, pointing at the first one too many', () => {
    // Groups count their members; 17,520 steps fill about 900 KB.
    const text = `version: 1\nkind: drill\nid: many\ntitle: t\nowner: o\nobjectives: {}\npreconditions:\n  - id: p\n    parallel:\n${Array.from({ length: 600 }, (_, i) => `      - { id: p${i}, uses: wait }`).join('\n')}\nsteps:\n${Array.from({ length: 16_920 }, (_, i) => `  - { id: s${i}, uses: wait, with: { duration: 1s } }`).join('\n')}\n`;
    expect(text.length).toBeGreaterThan(900_000);
    expect(validate(text)).toMatchObject({ ok: false, issues: [{ line: 1011, column: 5, code: 'too-many-steps', message: `steps[400]: a scenario holds at most ${maxSteps} steps (preconditions, steps and cleanup, group members included); this one has 17520` }] });
  });

  it('random bytes in a file', async () => {
    const file = join(dir, 'random.yaml');
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), async (bytes) => {
        await writeFile(file, bytes);
        const result = await loadScenario(file, options);
        expect(result.ok).toBe(false);
        if (!result.ok) for (const issue of result.issues) expect(issue.code).not.toBe('internal-error');
      }),
      { numRuns: 100 },
    );
  });
});
