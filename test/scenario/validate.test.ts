/** The pipeline as the CLI uses it: every problem at once, positions, files, the normalised result. */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinRunners } from '../../runners/index.js';
import { formatIssue, loadScenario, maxScenarioBytes, validateScenario } from '../../src/scenario/validate.js';
import { head, problems, valid } from './helpers.js';

const options = { catalog: builtinRunners };

describe('validateScenario', () => {
  it('reports every problem at once, sorted by position', () => {
    const text = `version: 1
kind: drill
id: Bad
title: ""
owner: o
objectives: { rto: 1x }
steps:
  - id: a
    uses: local
    run: echo
    timeout: soon
  - id: a
    uses: wait
    with: { duration: 1s, extra: 1 }
    marks: [recovered, t0]
`;
    const durationHint = '\n  hint: write a number and a unit: 500ms, 90s, 15m, 2h, 90d, or a combination such as 1h30m';
    expect(problems(text)).toEqual([
      'scenario.yaml:3:5: id: "Bad" is not a lowercase slug\n  hint: use lowercase letters, digits and single hyphens, starting with a letter (e.g. pg-failover)',
      'scenario.yaml:4:8: title: must not be empty',
      `scenario.yaml:6:20: objectives.rto: "1x" is not a duration${durationHint}`,
      'scenario.yaml:10:10: steps[0].run: expected a list of strings, got "echo"\n  hint: write an argument array, e.g. [systemctl, stop, postgresql]',
      `scenario.yaml:11:14: steps[0].timeout: "soon" is not a duration${durationHint}`,
      'scenario.yaml:12:9: steps[1].id: duplicate id "a", already used by steps[0]\n  hint: ids are unique across preconditions, steps and cleanup',
      'scenario.yaml:14:27: steps[1].with: unknown key "extra"\n  hint: allowed keys: duration',
    ]);
  });

  it('returns issues as data: file as given, 1-based line and column, code, message, hint', () => {
    const result = validateScenario(`${head}steps:\n  - id: s\n    uses: wat\n`, 'dir/../scenario.yaml', options);
    expect(result).toEqual({
      ok: false,
      issues: [{ file: 'dir/../scenario.yaml', line: 9, column: 11, severity: 'error', code: 'unknown-runner', message: 'steps[0].uses: unknown runner "wat"', hint: 'did you mean "wait"?' }],
    });
  });

  it('counts positions the same with CRLF line ends and a byte order mark', () => {
    expect(problems(`\uFEFF${head}steps:\n  - id: s\n    uses: wat\n`.replace(/\n/g, '\r\n'))).toEqual([
      'scenario.yaml:9:11: steps[0].uses: unknown runner "wat"\n  hint: did you mean "wait"?',
    ]);
  });

  it('fills source: the absolute path, its folder and the SHA-256 of the bytes', () => {
    const text = `${head}steps:\n  - { id: s, uses: wait, with: { duration: 1s } }\n`;
    const scenario = valid(text);
    expect(scenario.source).toEqual({
      file: resolve('scenario.yaml'),
      dir: resolve('.'),
      sha256: createHash('sha256').update(text, 'utf8').digest('hex'),
    });
  });

  it('says what is wrong with steps that are not steps', () => {
    expect(problems(`${head}steps:\n  - name: nothing\n  - foo\n  - []\n`)).toEqual([
      'scenario.yaml:8:5: steps[0]: missing required key "id"',
      'scenario.yaml:8:5: steps[0]: missing required key "uses"',
      'scenario.yaml:9:5: steps[1]: expected a step (a mapping with id and uses), got "foo"',
      'scenario.yaml:10:5: steps[2]: expected a step (a mapping with id and uses), got a list',
    ]);
    expect(problems(`${head}steps: { id: a }\n`)).toEqual(['scenario.yaml:7:8: steps: expected a list, got a mapping']);
    expect(problems(`${head}steps: []\n`)).toEqual(['scenario.yaml:7:8: steps: must list at least 1 item']);
    expect(problems(`${head}steps:\n  - id: g\n    parallel: { a: 1 }\n  - id: h\n    parallel:\n      - 5\n    failFast: maybe\n`)).toEqual([
      'scenario.yaml:9:15: steps[0].parallel: expected a list of steps, got a mapping',
      'scenario.yaml:12:9: steps[1].parallel[0]: expected a step (a mapping with id and uses), got 5',
      'scenario.yaml:13:15: steps[1].failFast: expected true or false, got "maybe"',
    ]);
  });

  it('reads empty values as empty, not as missing', () => {
    expect(problems(`${head}description:\nsteps:\n  - id: a\n    uses: local\n    run:\n`)).toEqual([
      'scenario.yaml:7:13: description: expected a string, got an empty value',
      'scenario.yaml:11:9: steps[0].run: expected a list of strings, got an empty value\n  hint: write an argument array, e.g. [systemctl, stop, postgresql]',
    ]);
  });

  it('checks expectations, outputs and secrets value by value', () => {
    expect(problems(`${head}steps:\n  - { id: a, uses: local, run: [x], expect: { exitCode: "0" } }\n  - { id: b, uses: local, run: [x], expect: { exitCode: [] } }\n  - { id: c, uses: local, run: [x], expect: { exitCode: 256 } }\n`)).toEqual([
      'scenario.yaml:8:57: steps[0].expect.exitCode: expected an exit code or a list of exit codes, got "0"\n  hint: write 0 without quotes',
      'scenario.yaml:9:57: steps[1].expect.exitCode: must list at least 1 item',
      'scenario.yaml:10:57: steps[2].expect.exitCode: must be at most 255, got 256',
    ]);
    const outputHint = '\n  hint: write { stdout: REGEX } or { json: POINTER }';
    expect(problems(`${head}steps:\n  - id: a\n    uses: local\n    run: [x]\n    outputs:\n      x: {}\n      y: "(.*)"\n      z: { stdot: "(.*)" }\n      w: { json: "/a~2" }\n`)).toEqual([
      `scenario.yaml:12:10: steps[0].outputs.x: expected one of stdout or json${outputHint}`,
      `scenario.yaml:13:10: steps[0].outputs.y: expected a mapping with one of stdout or json, got "(.*)"${outputHint}`,
      'scenario.yaml:14:12: steps[0].outputs.z: unknown key "stdot"\n  hint: did you mean "stdout"?',
      'scenario.yaml:15:18: steps[0].outputs.w.json: "/a~2" is not a JSON Pointer\n  hint: a JSON Pointer into stdout parsed as JSON: "" for the whole document, or /key/0/name',
    ]);
    const secretHint = '\n  hint: write { env: NAME } or { file: path/relative/to/this/file }';
    expect(problems(`${head}secrets:\n  a: DB_PASS\n  b: { env: 1BAD }\n  c: { file: "" }\n  d: {}\nsteps:\n  - { id: s, uses: wait, with: { duration: 1s } }\n`)).toEqual([
      `scenario.yaml:8:6: secrets.a: expected a mapping with one of env or file, got "DB_PASS"${secretHint}`,
      'scenario.yaml:9:13: secrets.b.env: "1BAD" is not an environment variable name\n  hint: letters, digits and _, not starting with a digit',
      'scenario.yaml:10:14: secrets.c.file: must not be empty',
      `scenario.yaml:11:6: secrets.d: expected one of env or file${secretHint}`,
    ]);
  });

  it('refuses durations that are empty or too long to count', () => {
    const durationHint = '\n  hint: write a number and a unit: 500ms, 90s, 15m, 2h, 90d, or a combination such as 1h30m';
    const pause = 'steps:\n  - { id: s, uses: wait, with: { duration: 1s } }\n';
    expect(problems(`${head}defaults: { timeout: "" }\n${pause}`)).toEqual([`scenario.yaml:7:22: defaults.timeout: "" is not a duration${durationHint}`]);
    expect(problems(`${head}defaults: { timeout: 99999999999999999999d }\n${pause}`)).toEqual([`scenario.yaml:7:22: defaults.timeout: is too long a duration${durationHint}`]);
  });
});

describe('YAML', () => {
  it('a template in block context is text; in a flow collection it is reported once, without the cascade', () => {
    expect(valid(`${head}vars: { x: "1" }\nsteps:\n  - id: s\n    uses: local\n    run:\n      - \${{ vars.x }}\n`).steps[0]).toMatchObject({ run: ['${{ vars.x }}'] });
    expect(problems(`${head}steps:\n  - { id: s, uses: local, run: [\${{ vars.x }}] }\n  - { id: t\n`)).toEqual([
      'scenario.yaml:8:33: YAML reads the unquoted template ${{ vars.x }} as a mapping\n  hint: quote it: "${{ vars.x }}"',
    ]);
  });

  it('refuses YAML versions other than 1.2 and accepts 1.2', () => {
    expect(problems(`%YAML 1.3\n---\n${head}`)).toEqual(['scenario.yaml:1:1: YAML 1.3 is not supported: scenarios are YAML 1.2\n  hint: remove the %YAML directive']);
    expect(valid(`%YAML 1.2\n---\n${head}steps:\n  - { id: s, uses: wait, with: { duration: 1s } }\n...\n`).id).toBe('inline');
  });

  it('reads YAML 1.2 core: yes/no/on/off are strings, 0o17 is octal', () => {
    const scenario = valid(`${head}vars: { a: yes, b: "no", c: "on" }\nsteps:\n  - { id: s, uses: wait, with: { duration: 1s } }\n`);
    expect(scenario.vars).toEqual({ a: 'yes', b: 'no', c: 'on' });
    expect(problems(`${head}vars: { a: 0o17 }\nsteps:\n  - { id: s, uses: wait, with: { duration: 1s } }\n`)).toEqual([
      'scenario.yaml:7:12: vars.a: expected a string, got 15\n  hint: quote it: "15"',
    ]);
  });

  it('reports duplicate keys at the second one, and a quoted "<<" is an ordinary (unknown) key', () => {
    expect(problems(`${head}steps:\n  - id: a\n    uses: local\n    uses: wait\n    run: [x]\n`)).toEqual([
      'scenario.yaml:10:5: duplicate key "uses" (first written on line 9)\n  hint: keep one of them',
    ]);
    expect(problems(`${head}steps:\n  - id: a\n    "<<": x\n    uses: local\n    run: [x]\n`)).toEqual([
      'scenario.yaml:9:5: steps[0]: unknown key "<<"\n  hint: allowed keys: id, name, uses, on, run, with, timeout, retry, expect, outputs, marks, continueOnError, background, idempotent, check, until, inheritEnv',
    ]);
  });

  it('reports every tag outside the core schema at once, each where its value starts, also inside a tagged value and on keys', () => {
    const text = `${head.replace('owner: sre-team', 'owner: !!binary c3Jl')}vars: { a: !!str ok, b: !env HOME }\nsecrets: !!omap\n  - !custom k: { env: X }\nsteps:\n  - { id: s, uses: wait, with: { duration: !!timestamp 2001-12-14 } }\n`;
    const hint = '\n  hint: remove the tag; write plain text, numbers, true/false, mappings and lists';
    expect(problems(text)).toEqual([
      `scenario.yaml:5:17: tag !!binary is not part of the YAML 1.2 core schema${hint}`,
      `scenario.yaml:7:30: tag !env is not part of the YAML 1.2 core schema${hint}`,
      `scenario.yaml:9:3: tag !!omap is not part of the YAML 1.2 core schema${hint}`,
      `scenario.yaml:9:13: tag !custom is not part of the YAML 1.2 core schema${hint}`,
      `scenario.yaml:11:56: tag !!timestamp is not part of the YAML 1.2 core schema${hint}`,
    ]);
  });

  it('keys must be text', () => {
    expect(problems(`${head}? [a]\n: b\nsteps: []\n`)).toEqual([
      'scenario.yaml:7:3: a key must be plain text, not a mapping or a list\n  hint: quote it when it is meant as text',
      'scenario.yaml:9:8: steps: must list at least 1 item',
    ]);
  });

  it('keys such as __proto__ are data like any other', () => {
    expect(problems(`${head}__proto__: { polluted: true }\nsteps:\n  - { id: s, uses: wait, with: { duration: 1s } }\n`)).toEqual([
      'scenario.yaml:7:1: unknown key "__proto__"\n  hint: allowed keys: version, kind, id, title, owner, description, environment, cadence, schedule, timezone, window, deadline, approval, defaults, objectives, exit, controls, vars, secrets, allowEnv, inheritEnv, targets, preconditions, steps, cleanup',
    ]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('loadScenario', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'drillbook-load-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses an oversize file before reading it', async () => {
    const file = join(dir, 'big.yaml');
    await writeFile(file, '');
    await truncate(file, 5 * maxScenarioBytes); // sparse: nothing to read even if it tried
    expect(await loadScenario(file, options)).toEqual({
      ok: false,
      issues: [
        {
          file,
          line: 1,
          column: 1,
          severity: 'error',
          code: 'file-too-large',
          message: `the file is ${5 * maxScenarioBytes} bytes; scenario files are limited to ${maxScenarioBytes} bytes (1 MiB)`,
          hint: 'split it, or move large data out of the scenario',
        },
      ],
    });
  });

  it('accepts a file of exactly the limit', async () => {
    const file = join(dir, 'limit.yaml');
    const text = `${head}steps:\n  - { id: s, uses: wait, with: { duration: 1s } }\n`;
    await writeFile(file, text + '#'.repeat(maxScenarioBytes - Buffer.byteLength(text)));
    const result = await loadScenario(file, options);
    expect(result.ok).toBe(true);
  });

  it('reports files it cannot read', async () => {
    const missing = join(dir, 'missing.yaml');
    expect(await loadScenario(missing, options)).toEqual({
      ok: false,
      issues: [{ file: missing, line: 1, column: 1, severity: 'error', code: 'unreadable', message: 'cannot read the file: no such file' }],
    });
    await mkdir(join(dir, 'folder.yaml'));
    const result = await loadScenario(join(dir, 'folder.yaml'), options);
    expect(result.ok ? [] : result.issues.map(formatIssue)).toEqual([`${join(dir, 'folder.yaml')}:1:1: not a regular file`]);
  });

  it('hashes the bytes of the file', async () => {
    const file = join(dir, 'ok.yaml');
    const text = `\uFEFF${head}steps:\n  - { id: s, uses: wait, with: { duration: 1s } }\n`;
    await writeFile(file, text);
    const result = await loadScenario(file, options);
    expect(result.ok && result.scenario.source).toEqual({ file, dir, sha256: createHash('sha256').update(text, 'utf8').digest('hex') });
  });
});

describe('target options with templates', () => {
  const text = `version: 1\nkind: restore\nid: tpl\ntitle: t\nowner: o\nobjectives: {}\nvars: { endpoint: "http://127.0.0.1:7480" }\ntargets:\n  backups: { s3: { bucket: shop-backups, region: us-east-1, endpoint: "\${{ vars.endpoint }}" } }\nsteps:\n  - { id: find, uses: s3.latest, on: backups, with: { prefix: dumps/ } }\n`;
  it('are filled with the vars (and --var) before the target is checked', async () => {
    const { validateScenario } = await import('../../src/scenario/validate.js');
    const { builtinRunners } = await import('../../runners/index.js');
    const ok = validateScenario(text, 'tpl.yaml', { catalog: builtinRunners, vars: { endpoint: 'http://127.0.0.1:29999' } });
    expect(ok.ok && ok.scenario.targets['backups']).toMatchObject({ options: { endpoint: 'http://127.0.0.1:29999' } });
    const bad = validateScenario(text.replace('vars.endpoint', 'secrets.key'), 'tpl.yaml', { catalog: builtinRunners });
    expect(bad.ok ? [] : bad.issues.map((i) => `${i.line}:${i.column} ${i.message}`)).toContain('9:71 targets.backups.s3.endpoint: ${{ secrets.key }}: targets take only ${{ vars.NAME }}');
  });
});
