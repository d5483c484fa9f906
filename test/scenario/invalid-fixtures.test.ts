/**
 * One invalid fixture per class of problem (test/fixtures/invalid/<code>.yaml), each with its full
 * formatted output pinned: file:line:column, message and hint.
 */
import { readFile, readdir } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { builtinRunners } from '../../runners/index.js';
import { formatIssue, issueCodes, loadScenario, warningCodes } from '../../src/scenario/validate.js';
import { fixture, fixtureNames } from './fixtures.js';

/** Codes that no fixture file can show: they are about reading the file or about drillbook itself. */
const notFromFixtures = ['unreadable', 'file-too-large', 'approver-keys', 'internal-error'];

const expected: Record<string, string> = {
  'alias-bomb': `test/fixtures/invalid/alias-bomb.yaml:11:43: aliases expand to more than 10000 values
  hint: use fewer and smaller anchors (&name) and aliases (*name)`,
  'background-in-group': `test/fixtures/invalid/background-in-group.yaml:13:9: steps[0].parallel[0].background: a step of a parallel group cannot run in the background
  hint: move the background step out of the group, before it`,
  'background-mark': `test/fixtures/invalid/background-mark.yaml:12:12: steps[0].marks: a background step cannot set mark "t0"
  hint: set the mark on the step that acts (the disaster, the recovery check)`,
  'background-phase': `test/fixtures/invalid/background-phase.yaml:11:5: preconditions[0].background: background steps belong to steps, not preconditions
  hint: move it under steps:`,
  'check-background': `test/fixtures/invalid/check-background.yaml:12:5: steps[0].check: a background step cannot have a check
  hint: declare idempotent: true to restart it on resume, or remove check`,
  'check-outputs': `test/fixtures/invalid/check-outputs.yaml:13:5: steps[0].check: a step with outputs cannot have a check: a check that finds the work done cannot give the outputs later steps read
  hint: move the outputs to a step of their own after this one, or declare idempotent: true`,
  'check-runner': `test/fixtures/invalid/check-runner.yaml:12:13: steps[0].check.uses: runner "wait" cannot check whether the step was done: it cannot fail on what it finds
  hint: a check looks and can find the work not done: use local, http, manual, ssh, s3.latest, s3.verify, canary.read`,
  'gate-phase': `test/fixtures/invalid/gate-phase.yaml:13:11: cleanup[0].uses: an approval step holds back the steps after it; it cannot be in cleanup, which must run whatever happened
  hint: put it under steps, before the step it guards, in the foreground`,
  'check-phase': `test/fixtures/invalid/check-phase.yaml:15:5: cleanup[0].check: a check belongs to a step under steps, not cleanup
  hint: a cleanup step cut short runs again from its start: make it safe to repeat instead`,
  'bad-duration': `test/fixtures/invalid/bad-duration.yaml:11:14: steps[0].timeout: "10 minutes" is not a duration
  hint: write a number and a unit: 500ms, 90s, 15m, 2h, 90d, or a combination such as 1h30m`,
  'bad-encoding': `test/fixtures/invalid/bad-encoding.yaml:1:1: the file is not UTF-8 text
  hint: save it as UTF-8`,
  'bad-header': `test/fixtures/invalid/bad-header.yaml:12:27: steps[0].with.headers.X-Trace: the value has a line break (LF); a header is one line
  hint: remove the line break: it would end the header and start another`,
  'bad-id': `test/fixtures/invalid/bad-id.yaml:3:5: id: "PG_Failover" is not a lowercase slug
  hint: use lowercase letters, digits and single hyphens, starting with a letter (e.g. pg-failover)`,
  'bad-kind': `test/fixtures/invalid/bad-kind.yaml:2:7: kind: must be one of drill, restore or exit, got "dril"
  hint: did you mean "drill"?`,
  'bad-name': `test/fixtures/invalid/bad-name.yaml:8:3: vars: "db host" is not a name
  hint: names start with a letter or _ and go on with letters, digits, _ or -`,
  'bad-output': `test/fixtures/invalid/bad-output.yaml:12:22: steps[0].outputs.pid.stdout: the regular expression has 0 capture groups; it needs exactly one
  hint: the first capture group is the value, e.g. "version (\\\\S+)"; write (?:…) for other groups`,
  'bad-regex': `test/fixtures/invalid/bad-regex.yaml:11:23: steps[0].expect.stdout: invalid regular expression: Unterminated group`,
  'bad-rpo-from': `test/fixtures/invalid/bad-rpo-from.yaml:8:12: objectives.rpoFrom: "data-loss" is not <step-id>.<output>
  hint: name a step and one of its outputs, e.g. data-loss.rpo`,
  'bad-run': `test/fixtures/invalid/bad-run.yaml:10:10: steps[0].run: expected a list of strings, got "systemctl stop postgresql"
  hint: write an argument array, e.g. [systemctl, stop, postgresql]`,
  'bad-schedule': `test/fixtures/invalid/bad-schedule.yaml:6:11: schedule: invalid cron expression: Invalid value for hour: 25
  hint: five fields, minute hour day-of-month month day-of-week, e.g. "0 3 * * 1"`,
  'bad-secret': `test/fixtures/invalid/bad-secret.yaml:8:28: secrets.token: give only one of env or file
  hint: write { env: NAME } or { file: path/relative/to/this/file }`,
  'bad-size': `test/fixtures/invalid/bad-size.yaml:8:15: exit.dataVolume: "12 terabytes" is not a size
  hint: a number and a unit: 12TiB, 500 GB, 1.5TB (KiB … EiB are powers of 1024, kB … EB powers of 1000)`,
  'bad-target': `test/fixtures/invalid/bad-target.yaml:8:21: targets.app: give only one of local, http, ssh or s3
  hint: a target is exactly one of { local: … }, { http: … }, { ssh: … }, { s3: … }`,
  'bad-template': `test/fixtures/invalid/bad-template.yaml:10:16: steps[0].run[1]: unknown template expression \`env.HOME\`: use vars.NAME, secrets.NAME, steps.ID.outputs.NAME or marks.MARK
  hint: a template is \${{ vars.NAME }}, \${{ secrets.NAME }}, \${{ steps.ID.outputs.NAME }} or \${{ marks.t0 }}; $\${{ writes a literal \${{`,
  'bad-timezone': `test/fixtures/invalid/bad-timezone.yaml:7:11: timezone: unknown time zone "Europe/Pariss"
  hint: an IANA name such as UTC, Europe/Paris or America/New_York`,
  'bad-url': `test/fixtures/invalid/bad-url.yaml:8:27: targets.app.http.baseUrl: "app.example" is not an absolute http(s) URL
  hint: e.g. https://app.example or http://127.0.0.1:8080`,
  'bad-value': `test/fixtures/invalid/bad-value.yaml:11:24: steps[0].retry.attempts: must be at least 1, got 0`,
  'bad-version': `test/fixtures/invalid/bad-version.yaml:1:10: version: must be 1, got 2
  hint: this version of drillbook reads format version 1`,
  'bad-window': `test/fixtures/invalid/bad-window.yaml:9:5: window.hours.wed: wed is already given by mon-fri
  hint: give each day once; several ranges for one day go in a list: [08:00-12:00, 14:00-18:00]`,
  'bad-with': `test/fixtures/invalid/bad-with.yaml:10:61: steps[0].with.consecutive: must be at least 1, got 0`,
  'control-character': `test/fixtures/invalid/control-character.yaml:9:11: steps[0].name: contains the control character U+001B
  hint: remove it: control characters cannot be typed meaningfully; a command that needs one gets the program's own escape for it (printf '\\033')`,
  'duplicate-id': `test/fixtures/invalid/duplicate-id.yaml:12:9: cleanup[0].id: duplicate id "pause", already used by steps[0]
  hint: ids are unique across preconditions, steps and cleanup`,
  'duplicate-key': `test/fixtures/invalid/duplicate-key.yaml:6:1: duplicate key "title" (first written on line 4)
  hint: keep one of them`,
  'duplicate-mark': `test/fixtures/invalid/duplicate-mark.yaml:17:13: steps[2].marks[0]: mark "t0" is already set by step "disaster"
  hint: each mark is set by one step`,
  'empty-file': `test/fixtures/invalid/empty-file.yaml:1:1: the file holds no scenario
  hint: start with version: 1, kind, id, title, owner, objectives and steps`,
  'empty-group': `test/fixtures/invalid/empty-group.yaml:9:15: steps[0].parallel: a group needs at least one step
  hint: list its steps under parallel:, or remove the group`,
  'exit-cost': `test/fixtures/invalid/exit-cost.yaml:8:21: exit.egressPricePerGB: a price needs its currency
  hint: add currency: an ISO 4217 code such as EUR or USD`,
  'exit-kind': `test/fixtures/invalid/exit-kind.yaml:7:1: exit: belongs to kind: exit scenarios; this one is kind: restore
  hint: remove exit:, or set kind: exit`,
  'exit-without-export': `test/fixtures/invalid/exit-without-export.yaml:6:27: objectives.exitPeriod: the exit period is judged by projecting the measured export throughput, but no s3.export or ssh.dump step measures it
  hint: add an s3.export or ssh.dump step under steps:, or write exit.require without within-period`,
  'mark-not-ready': `test/fixtures/invalid/mark-not-ready.yaml:10:18: steps[0].run[1]: \${{ marks.t0 }} is not reached here: step "restore" runs after this one
  hint: a step reads the marks set by steps that ran before it`,
  'mark-order': `test/fixtures/invalid/mark-order.yaml:9:12: steps[0].marks: recovered comes before t0 (step "disaster")
  hint: RTO runs from the start of the t0 step to the end of the recovered step; the recovered step comes later`,
  'mark-phase': `test/fixtures/invalid/mark-phase.yaml:18:12: cleanup[0].marks: mark "recovered" in cleanup; marks belong to steps
  hint: preconditions and cleanup are not timed against the objectives`,
  'merge-key': `test/fixtures/invalid/merge-key.yaml:9:3: merge keys (<<) are not part of YAML 1.2
  hint: write the keys out; an alias (*name) can still stand for a whole value`,
  'missing-key': `test/fixtures/invalid/missing-key.yaml:1:1: missing required key "owner"`,
  'missing-t0': `test/fixtures/invalid/missing-t0.yaml:9:12: steps[0].marks: recovered is set but no step sets t0
  hint: set marks: t0 on the step that declares the disaster`,
  'multiple-documents': `test/fixtures/invalid/multiple-documents.yaml:11:1: the file holds 2 YAML documents; a scenario file holds one
  hint: put each scenario in its own file`,
  'nested-group': `test/fixtures/invalid/nested-group.yaml:11:9: steps[0].parallel[0]: groups cannot be nested
  hint: list the inner steps in this group, or make them a group of their own before or after it`,
  'not-a-mapping': `test/fixtures/invalid/not-a-mapping.yaml:1:1: the top level of a scenario must be a mapping of keys, but it is a list
  hint: start with version: 1, kind, id, title, owner, objectives and steps`,
  'output-not-ready': `test/fixtures/invalid/output-not-ready.yaml:10:19: steps[0].run[1]: \${{ steps.promote.outputs.lsn }} is not available here: step "promote" runs after this one
  hint: a step reads the outputs of steps that finished before it starts`,
  'reimport-phase': `test/fixtures/invalid/reimport-phase.yaml:8:23: exit.reimport[1]: step "drop-copy" is in cleanup; a re-import is proven by a step of steps
  hint: name a step under steps:, or move this one there`,
  'relative-url': `test/fixtures/invalid/relative-url.yaml:10:18: steps[0].with.url: "/health" is not an absolute URL and the step names no target
  hint: write the whole URL (https://host/path), or add on: with an http target whose baseUrl it extends`,
  'rto-without-marks': `test/fixtures/invalid/rto-without-marks.yaml:6:20: objectives.rto: an RTO needs marks t0 and recovered, but no step sets recovered
  hint: set marks: t0 on the disaster step and marks: recovered on the step proving the service is back`,
  'run-forbidden': `test/fixtures/invalid/run-forbidden.yaml:10:5: steps[0]: runner "wait" takes no run
  hint: its options go under with:`,
  'run-required': `test/fixtures/invalid/run-required.yaml:9:11: steps[0]: runner "local" needs run: an argument array
  hint: e.g. run: [systemctl, stop, postgresql]`,
  'approval-required': `test/fixtures/invalid/approval-required.yaml:6:14: environment: environment: production needs an approval: block
  hint: add approval: { approvers: { keys: [approver.pub] }, quorum: 1 }, or approval: none to run on the terminal confirmation alone`,
  'schedule-outside-window': `test/fixtures/invalid/schedule-outside-window.yaml:6:11: schedule: "0 3 * * 1" never starts inside window.hours (mon-fri 22:00-06:00, Europe/Berlin)
  hint: move the schedule into the window, or widen window.hours`,
  'target-kind': `test/fixtures/invalid/target-kind.yaml:12:9: steps[0].on: target "app" has kind http; runner "local" runs on local targets
  hint: name a target of kind local, or leave out on:`,
  'too-deep': `test/fixtures/invalid/too-deep.yaml:7:75: nesting deeper than 64 levels
  hint: a scenario needs only a few levels; flatten the structure`,
  'too-many-entries': `test/fixtures/invalid/too-many-entries.yaml:109:3: vars.v1000: a scenario declares at most 1000 vars; this one declares 1001
  hint: split the scenario into several`,
  'too-many-steps': `test/fixtures/invalid/too-many-steps.yaml:59:155: steps[1000]: a scenario holds at most 1000 steps (preconditions, steps and cleanup, group members included); this one has 1001
  hint: split it into several scenarios`,
  'undeclared-var': `test/fixtures/invalid/undeclared-var.yaml:7:1: --var prot: no var "prot" is declared
  hint: did you mean "port"?`,
  'undefined-output': `test/fixtures/invalid/undefined-output.yaml:15:19: steps[1].run[1]: step "promote" declares no output "lns" (in \${{ steps.promote.outputs.lns }})
  hint: its outputs: lsn`,
  'undefined-secret': `test/fixtures/invalid/undefined-secret.yaml:10:28: steps[0].run[2]: undefined secret "API_TOKEN" in \${{ secrets.API_TOKEN }}
  hint: declare it under secrets:`,
  'undefined-var': `test/fixtures/invalid/undefined-var.yaml:12:28: steps[0].run[2]: undefined var "prot" in \${{ vars.prot }}
  hint: did you mean "port"?`,
  'unknown-format': `test/fixtures/invalid/unknown-format.yaml:8:22: exit.openFormats[1]: unknown format "jsn"
  hint: did you mean "json"?`,
  'unknown-key': `test/fixtures/invalid/unknown-key.yaml:11:5: steps[0]: unknown key "timout"
  hint: did you mean "timeout"?`,
  'unknown-runner': `test/fixtures/invalid/unknown-runner.yaml:9:11: steps[0].uses: unknown runner "htp"
  hint: did you mean "http"?`,
  'unknown-step': `test/fixtures/invalid/unknown-step.yaml:15:19: steps[1].run[1]: unknown step "promot" in \${{ steps.promot.outputs.lsn }}
  hint: did you mean "promote"?`,
  'unknown-target': `test/fixtures/invalid/unknown-target.yaml:12:9: steps[0].on: no target "primry" is declared
  hint: did you mean "primary"?`,
  'unquoted-template': `test/fixtures/invalid/unquoted-template.yaml:12:17: YAML reads the unquoted template \${{ vars.greeting }} as a mapping
  hint: quote it: "\${{ vars.greeting }}"`,
  'unsafe-env': `test/fixtures/invalid/unsafe-env.yaml:12:38: steps[0].with.env: LD_PRELOAD loads a library into every program the step starts; a step sets it only when allowEnv lists it
  hint: if the drill needs it, add allowEnv: [LD_PRELOAD] at the top level of the scenario`,
  'unsupported-expect': `test/fixtures/invalid/unsupported-expect.yaml:11:15: steps[0].expect: runner "http" does not check exitCode
  hint: it checks status, body`,
  'until-mark-missing': `test/fixtures/invalid/until-mark-missing.yaml:12:12: steps[0].until: no later step sets mark "recovered"
  hint: set marks: recovered on a later step, or remove until`,
  'until-without-background': `test/fixtures/invalid/until-without-background.yaml:11:5: steps[0].until: until only applies to a background step
  hint: add background: true, or remove until`,
  'wrong-type': `test/fixtures/invalid/wrong-type.yaml:8:9: vars.port: expected a string, got 5432
  hint: quote it: "5432"`,
  'url-credentials': `test/fixtures/invalid/url-credentials.yaml:10:18: steps[0].with.url: the URL has a user name or password in it: credentials in a URL are sent nowhere safe and end up in logs
  hint: put a secret in a header instead: headers: { Authorization: "Bearer \${{ secrets.NAME }}" }`,
  'yaml-syntax': `test/fixtures/invalid/yaml-syntax.yaml:5:1: Flow sequence in block collection must be sufficiently indented and end with a ]`,
  'yaml-tag': `test/fixtures/invalid/yaml-tag.yaml:5:17: tag !!binary is not part of the YAML 1.2 core schema
  hint: remove the tag; write plain text, numbers, true/false, mappings and lists`,
  'yaml-version': `test/fixtures/invalid/yaml-version.yaml:1:1: YAML 1.1 is not supported: scenarios are YAML 1.2
  hint: remove the %YAML directive`,
};

describe('invalid fixtures', () => {
  it.each(Object.keys(expected))('%s', async (name) => {
    const vars = name === 'undeclared-var' ? { prot: '5433' } : {};
    const result = await loadScenario(fixture('invalid', name), { catalog: builtinRunners, vars });
    expect(result.ok).toBe(false);
    const issues = result.ok ? [] : result.issues;
    expect(issues.map(formatIssue).join('\n')).toBe(expected[name]);
    // Each fixture shows its own problem and nothing else.
    expect(issues.map((issue) => issue.code)).toEqual([name]);
  });

  it('has one fixture per issue code, named after it', async () => {
    const names = await fixtureNames('invalid');
    expect(names).toEqual(Object.keys(expected).sort());
    expect(names).toEqual(issueCodes.filter((code) => !notFromFixtures.includes(code)).sort());
    expect((await readdir('test/fixtures/invalid')).every((file) => file.endsWith('.yaml'))).toBe(true);
  });
});

describe('docs/scenario-format.md', () => {
  it('lists every issue code with an example', async () => {
    const doc = await readFile('docs/scenario-format.md', 'utf8');
    const rows = [...doc.matchAll(/^\| `([a-z0-9-]+)` \| [^|]+ \| ``(s\.yaml:\d+:\d+: .+)`` \|$/gm)].filter((row) => !(warningCodes as readonly string[]).includes(row[1] ?? ''));
    expect(rows.map((row) => row[1])).toEqual([...issueCodes]);
    // The examples are the real messages of the fixtures (first line, file name shortened).
    for (const [, code = '', example = ''] of rows) {
      const pinned = expected[code];
      if (pinned === undefined) continue;
      expect(example).toBe(pinned.split('\n')[0]?.replace(`test/fixtures/invalid/${code}.yaml`, 's.yaml'));
    }
  });
});
