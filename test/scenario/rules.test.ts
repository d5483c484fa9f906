/** Rules across the document: the variants each fixture does not show, and the quiet after a failure. */
import { describe, expect, it } from 'vitest';
import { head, problems, valid } from './helpers.js';

const producer = (id: string, extra = ''): string => `  - id: ${id}\n    uses: local\n    run: [x${extra}]\n    outputs: { o: { stdout: "(.*)" } }\n`;

describe('step outputs in templates', () => {
  it('are available once their step has finished, and cleanup reads any step', () => {
    const scenario = valid(
      `${head}preconditions:\n${producer('pre')}steps:\n${producer('a', ', "${{ steps.pre.outputs.o }}"')}` +
        `  - id: g\n    parallel:\n${producer('b', ', "${{ steps.a.outputs.o }}"').replace(/^ {2}/gm, '      ')}` +
        `${producer('c', ', "${{ steps.b.outputs.o }}"')}cleanup:\n${producer('d', ', "${{ steps.c.outputs.o }}", "${{ steps.pre.outputs.o }}"')}` +
        `${producer('e', ', "${{ steps.d.outputs.o }}"')}`,
    );
    expect(scenario.cleanup.map((step) => step.id)).toEqual(['d', 'e']);
  });

  it('are not available to earlier, parallel or the same steps', () => {
    const text = `${head}preconditions:
  - id: pre
    uses: local
    run: [x, "\${{ steps.b.outputs.o }}"]
    outputs: { o: { stdout: "(.*)" } }
steps:
  - id: a
    uses: local
    run: [x, "\${{ steps.pre.outputs.o }}", "\${{ steps.a.outputs.o }}"]
    outputs: { o: { stdout: "(.*)" } }
  - id: g
    parallel:
      - id: b
        uses: local
        run: [x, "\${{ steps.c.outputs.o }}", "\${{ steps.a.outputs.o }}"]
        outputs: { o: { stdout: "(.*)" } }
      - id: c
        uses: local
        run: [x]
        outputs: { o: { stdout: "(.*)" } }
  - id: d
    uses: local
    run: [x, "\${{ steps.b.outputs.o }} and \${{ steps.c.outputs.o }}", "\${{ steps.e.outputs.o }}"]
  - id: e
    uses: local
    run: [x]
    outputs: { o: { stdout: "(.*)" } }
cleanup:
  - id: f
    uses: local
    run: [x, "\${{ steps.e.outputs.o }}", "\${{ steps.h.outputs.o }}", "\${{ steps.pre.outputs.o }}"]
  - id: h
    uses: local
    run: [x]
    outputs: { o: { stdout: "(.*)" } }
`;
    const hint = '\n  hint: a step reads the outputs of steps that finished before it starts';
    expect(problems(text)).toEqual([
      `scenario.yaml:10:15: preconditions[0].run[1]: \${{ steps.b.outputs.o }} is not available here: step "b" runs after this one${hint}`,
      `scenario.yaml:15:45: steps[0].run[2]: \${{ steps.a.outputs.o }} is not available here: a step cannot read its own outputs${hint}`,
      `scenario.yaml:21:19: steps[1].parallel[0].run[1]: \${{ steps.c.outputs.o }} is not available here: step "c" runs in parallel with this one${hint}`,
      `scenario.yaml:29:72: steps[2].run[2]: \${{ steps.e.outputs.o }} is not available here: step "e" runs after this one${hint}`,
      `scenario.yaml:37:43: cleanup[0].run[2]: \${{ steps.h.outputs.o }} is not available here: step "h" runs after this one${hint}`,
    ]);
  });

  it('of a background step are for cleanup only', () => {
    const text = `${head}steps:
  - id: canary
    uses: local
    run: [canary]
    background: true
    until: t0
    outputs: { rows: { stdout: "(\\\\d+)" } }
  - id: disaster
    marks: t0
    uses: local
    run: [stop, "\${{ steps.canary.outputs.rows }}"]
cleanup:
  - id: report
    uses: local
    run: [report, "\${{ steps.canary.outputs.rows }}"]
`;
    expect(problems(text)).toEqual([
      'scenario.yaml:17:18: steps[1].run[1]: ${{ steps.canary.outputs.rows }} is not available here: step "canary" runs in the background; its outputs are available to cleanup only\n' +
        '  hint: a step reads the outputs of steps that finished before it starts',
    ]);
  });

  it('are found inside quoted, escaped and folded strings', () => {
    const text = `${head}vars: { x: "1" }
steps:
  - id: a
    uses: local
    run:
      - 'say ''hi'' \${{ vars.y }}'
      - "tab\\t\${{ vars.z }}"
      - >-
        folded \${{ vars.w }}
`;
    expect(problems(text)).toEqual([
      'scenario.yaml:12:21: steps[0].run[0]: undefined var "y" in ${{ vars.y }}\n  hint: declared vars: x',
      'scenario.yaml:13:15: steps[0].run[1]: undefined var "z" in ${{ vars.z }}\n  hint: declared vars: x',
      'scenario.yaml:15:16: steps[0].run[2]: undefined var "w" in ${{ vars.w }}\n  hint: declared vars: x',
    ]);
  });

  it('are checked in nested strings of with, and $${{ is a literal', () => {
    const text = `${head}steps:
  - id: probe
    uses: http
    with:
      url: "https://app.example/?q=$\${{vars.nothing}}"
      headers: { X-Token: "\${{ secrets.token }}" }
`;
    expect(problems(text)).toEqual(['scenario.yaml:12:28: steps[0].with.headers.X-Token: undefined secret "token" in ${{ secrets.token }}\n  hint: declare it under secrets:']);
  });
});

describe('objectives.rpoFrom', () => {
  const steps = `steps:\n  - id: data-loss\n    uses: local\n    run: [x]\n    outputs: { rpo: { stdout: "(.*)" } }\n`;
  it('names a step', () => {
    expect(problems(head.replace('objectives: {}', 'objectives: { rpoFrom: data-los.rpo }') + steps)).toEqual([
      'scenario.yaml:6:24: objectives.rpoFrom: no step "data-los"\n  hint: did you mean "data-loss"?',
    ]);
  });
  it('names an output of that step', () => {
    expect(problems(head.replace('objectives: {}', 'objectives: { rpoFrom: data-loss.rpx }') + steps)).toEqual([
      'scenario.yaml:6:24: objectives.rpoFrom: step "data-loss" declares no output "rpx"\n  hint: did you mean "rpo"?',
    ]);
  });
});

describe('http urls and targets', () => {
  it('accepts absolute urls, urls that start with a template, and paths on an http target', () => {
    valid(`${head}vars: { base: "https://x.example", host: x.example }
targets:
  api: { http: { baseUrl: "https://api.example/v1" } }
steps:
  - { id: a, uses: http, with: { url: "\${{ vars.base }}/health" } }
  - { id: b, uses: http, with: { url: "https://\${{ vars.host }}/health" } }
  - { id: c, uses: http, on: api, with: { url: /health } }
  - { id: d, uses: http, with: { url: "http://127.0.0.1:8080/health" } }
`);
  });

  it('refuses relative urls without a target and targets of the wrong kind', () => {
    const text = `${head}vars: { host: x.example }
targets:
  api: { http: { baseUrl: "https://api.example/v1" } }
  box: { local: {} }
steps:
  - { id: d, uses: http, with: { url: "health-\${{ vars.host }}" } }
  - { id: e, uses: http, with: { url: "http://" } }
  - { id: f, uses: http, on: box, with: { url: /x } }
  - { id: g, uses: local, on: api, run: [x] }
  - { id: h, uses: wait, on: box, with: { duration: 1s } }
`;
    const hint = '\n  hint: write the whole URL (https://host/path), or add on: with an http target whose baseUrl it extends';
    expect(problems(text)).toEqual([
      `scenario.yaml:12:39: steps[0].with.url: "health-\${{ vars.host }}" is not an absolute URL and the step names no target${hint}`,
      `scenario.yaml:13:39: steps[1].with.url: "http://" is not an absolute URL and the step names no target${hint}`,
      'scenario.yaml:14:30: steps[2].on: target "box" has kind local; runner "http" runs on http targets\n  hint: name a target of kind http, or leave out on:',
      'scenario.yaml:15:31: steps[3].on: target "api" has kind http; runner "local" runs on local targets\n  hint: name a target of kind local, or leave out on:',
      'scenario.yaml:16:30: steps[4].on: runner "wait" takes no target\n  hint: remove on:',
    ]);
  });
});

describe('target kinds with references (ssh)', () => {
  it('report jumps to unknown targets and undeclared passphrase secrets', () => {
    const text = `${head}targets:
  web: { http: { baseUrl: "https://x.example" } }
  db: { ssh: { host: db1.example, jump: web, passphrase: nope } }
steps:
  - { id: s, uses: wait, with: { duration: 1s } }
`;
    expect(problems(text)).toEqual([
      'scenario.yaml:9:14: targets.db: jump `web` is not an ssh target',
      'scenario.yaml:9:58: targets.db: undefined secret "nope"\n  hint: declare it under secrets:',
    ]);
  });
});

describe('marks', () => {
  it('t0 and recovered may be set by one step, or by steps of one group', () => {
    valid(`${head.replace('objectives: {}', 'objectives: { rto: 1m }')}steps:
  - { id: a, uses: local, run: [x], marks: [t0, recovered] }
`);
    valid(`${head.replace('objectives: {}', 'objectives: { rto: 1m }')}steps:
  - id: g
    parallel:
      - { id: a, uses: local, run: [x], marks: t0 }
      - { id: b, uses: local, run: [x], marks: recovered }
`);
  });

  it('an unknown mark and a mark listed twice', () => {
    expect(problems(`${head}steps:\n  - { id: a, uses: local, run: [x], marks: t1 }\n  - { id: b, uses: local, run: [x], marks: [t0, t0] }\n`)).toEqual([
      'scenario.yaml:8:44: steps[0].marks: must be one of t0 or recovered, got "t1"\n  hint: did you mean "t0"?',
      'scenario.yaml:9:49: steps[1].marks[1]: mark "t0" is already set by step "b"\n  hint: each mark is set by one step',
    ]);
  });
});

describe('after a failed part, the rules stay quiet about it', () => {
  it('unreadable sections, bad ids and bad outputs cause no follow-up issues', () => {
    const text = `${head}vars: 5
secrets: [x]
targets: nope
steps:
  - id: a
    uses: local
    on: anything
    run: [x, "\${{ vars.x }}", "\${{ secrets.y }}", "\${{ steps.Bad_Id.outputs.z }}", "\${{ steps.b.outputs.nothing }}"]
  - id: Bad_Id
    uses: local
    run: [x]
  - id: b
    uses: local
    run: [x]
    outputs: { good: { stdout: "(x)" }, bad: { stdout: "x" } }
`;
    expect(problems(text)).toEqual([
      'scenario.yaml:7:7: vars: expected a mapping of names, got 5',
      'scenario.yaml:8:10: secrets: expected a mapping of names, got a list',
      'scenario.yaml:9:10: targets: expected a mapping of names, got "nope"',
      'scenario.yaml:15:9: steps[1].id: "Bad_Id" is not a lowercase slug\n  hint: use lowercase letters, digits and single hyphens, starting with a letter (e.g. pg-failover)',
      'scenario.yaml:21:56: steps[2].outputs.bad.stdout: the regular expression has 0 capture groups; it needs exactly one\n' +
        '  hint: the first capture group is the value, e.g. "version (\\\\S+)"; write (?:…) for other groups',
    ]);
  });
});

describe('--var', () => {
  it('overrides declared vars and names undeclared ones', () => {
    const text = `${head}vars: { a: "1" }\nsteps:\n  - { id: s, uses: wait, with: { duration: 1s } }\n`;
    expect(valid(text, { a: '2' }).vars).toEqual({ a: '2' });
    expect(problems(text, { a: '2', b: '3' })).toEqual(['scenario.yaml:7:1: --var b: no var "b" is declared\n  hint: declared vars: a']);
  });

  it('points at the first line when the scenario declares no vars', () => {
    expect(problems(`${head}steps:\n  - { id: s, uses: wait, with: { duration: 1s } }\n`, { x: '1' })).toEqual([
      'scenario.yaml:1:1: --var x: no var "x" is declared\n  hint: declare it under vars: with a default value',
    ]);
  });
});

describe('inheritEnv', () => {
  it('refuses inheriting a variable that changes how programs load or run, unless allowEnv lists it', () => {
    const issues = problems(`${head}inheritEnv: [KUBECONFIG, LD_PRELOAD]\nsteps:\n  - { id: a, uses: local, run: ["true"], inheritEnv: [NODE_OPTIONS] }\n`);
    expect(issues).toEqual([
      'scenario.yaml:7:26: inheritEnv: LD_PRELOAD loads a library into every program the step starts; steps inherit it only when allowEnv lists it\n  hint: if the drill needs it, add allowEnv: [LD_PRELOAD] at the top level of the scenario',
      expect.stringMatching(/^scenario\.yaml:9:\d+: steps\[0\]\.inheritEnv: NODE_OPTIONS .*; steps inherit it only when allowEnv lists it/),
    ]);
    expect(problems(`${head}allowEnv: [LD_PRELOAD]\ninheritEnv: [LD_PRELOAD]\nsteps:\n  - { id: a, uses: local, run: ["true"] }\n`)).toEqual([]);
  });
});
