/** Commands that start a process meant to outlive the step: a warning naming the step and the token. */
import { describe, expect, it } from 'vitest';
import { builtinRunners } from '../../runners/index.js';
import { findDetachments } from '../../src/scenario/detached.js';
import { formatIssue, validateScenario } from '../../src/scenario/validate.js';
import { head } from './helpers.js';

const tokens = (argv: string[]): string[] => findDetachments(argv).map(({ index, token }) => `${index}:${token}`);

describe('findDetachments', () => {
  it('finds setsid, nohup and disown as commands, also after wrappers', () => {
    expect(tokens(['setsid', '-f', 'pg_ctl', 'start'])).toEqual(['0:setsid']);
    expect(tokens(['/usr/bin/nohup', 'app'])).toEqual(['0:nohup']);
    expect(tokens(['sudo', '-u', 'postgres', 'env', 'A=1', 'nohup', 'app'])).toEqual(['5:nohup']);
    expect(tokens(['nohup', 'setsid', 'app'])).toEqual(['0:nohup', '1:setsid']);
  });

  it('reads sh -c and bash -c scripts, flags combined or not', () => {
    expect(tokens(['sh', '-c', 'app > log 2>&1 &'])).toEqual(['2:&']);
    expect(tokens(['bash', '-ec', 'app & disown'])).toEqual(['2:&', '2:disown']);
    expect(tokens(['sudo', 'sh', '-c', 'cd /srv; FOO=1 nohup ./run'])).toEqual(['3:nohup']);
    expect(tokens(['/bin/sh', '-xc', 'if true; then setsid app; fi'])).toEqual(['2:setsid']);
  });

  it('leaves alone what only looks like it', () => {
    expect(tokens(['sh', '-c', 'a && b || c; x 2>&1 >&2 &> f |& g'])).toEqual([]);
    expect(tokens(['sh', '-c', 'echo "a & b" \'nohup\' \\& # sleep 9 &\necho nohup setsid'])).toEqual([]);
    expect(tokens(['pkill', '-f', 'nohup'])).toEqual([]);
    expect(tokens(['echo', '&'])).toEqual([]);
    expect(tokens(['python3', '-c', 'print(1) & 2'])).toEqual([]);
  });
});

describe('detached-process warnings', () => {
  it('name the step and the token, on local, ssh and ssh.dump steps, with vars filled in', () => {
    const text = `${head}vars: { tail: "&" }
targets:
  db: { ssh: { host: db1, knownHosts: kh } }
steps:
  - { id: start-app, uses: local, run: [sh, -c, "./app \${{ vars.tail }}"] }
  - { id: remote, uses: ssh, on: db, run: [nohup, pg_ctl, start] }
  - { id: dump, uses: ssh.dump, on: db, run: [bash, -c, "pg_dump db & wait"], with: { file: d.sql } }
  - { id: probe, uses: http, with: { url: "https://x.example/&" } }
`;
    const result = validateScenario(text, 'scenario.yaml', { catalog: builtinRunners });
    expect(result.ok).toBe(true);
    const lines = result.ok ? result.warnings.map((issue) => formatIssue(issue).split('\n')[0]) : [];
    expect(lines).toEqual([
      'scenario.yaml:11:49: warning: steps[0].run[2]: step "start-app" may leave a process running after it ends or is stopped: the script runs a command in the background (&)',
      'scenario.yaml:12:44: warning: steps[1].run[0]: step "remote" may leave a process running after it ends or is stopped: nohup starts a process meant to outlive its caller',
      'scenario.yaml:13:57: warning: steps[2].run[2]: step "dump" may leave a process running after it ends or is stopped: the script runs a command in the background (&)',
    ]);
  });
});
