/** Steps may not set variables that change how programs load or run, unless allowEnv lists them. */
import { describe, expect, it } from 'vitest';
import { builtinRunners } from '../../runners/index.js';
import { findProgramEnv, programEnv } from '../../src/scenario/program-env.js';
import { formatIssue, validateScenario } from '../../src/scenario/validate.js';
import { head } from './helpers.js';

function all(text: string): string[] {
  const result = validateScenario(text, 'scenario.yaml', { catalog: builtinRunners });
  return (result.ok ? result.warnings : result.issues).map(formatIssue);
}

const ssh = 'targets:\n  db: { ssh: { host: db1, knownHosts: kh } }\n';

describe('environment that changes how programs load or run', () => {
  it('is an error in local, ssh and ssh.dump steps, named by the key', () => {
    const text = `${head}${ssh}steps:
  - { id: a, uses: local, run: [x], with: { env: { DYLD_INSERT_LIBRARIES: /x.dylib, "BASH_FUNC_ls%%": "() { :; }", ld_preload: fine } } }
  - { id: b, uses: ssh, on: db, run: [x], with: { env: { PATH: /tmp/bin } } }
  - { id: c, uses: ssh.dump, on: db, run: [pg_dump], with: { file: d.sql, env: { NODE_OPTIONS: --require=/tmp/x.js } } }
`;
    expect(all(text)).toEqual([
      'scenario.yaml:10:52: steps[0].with.env: DYLD_INSERT_LIBRARIES chooses or inserts the libraries programs load (macOS); a step sets it only when allowEnv lists it\n  hint: if the drill needs it, add allowEnv: [DYLD_INSERT_LIBRARIES] at the top level of the scenario',
      'scenario.yaml:10:85: steps[0].with.env: BASH_FUNC_ls%% defines bash functions, which run instead of commands of the same name; a step sets it only when allowEnv lists it\n  hint: if the drill needs it, add allowEnv: [BASH_FUNC_ls%%] at the top level of the scenario',
      'scenario.yaml:11:58: steps[1].with.env: PATH chooses which program a command name runs; a step sets it only when allowEnv lists it\n  hint: if the drill needs it, add allowEnv: [PATH] at the top level of the scenario',
      'scenario.yaml:12:82: steps[2].with.env: NODE_OPTIONS adds options such as --require to every Node.js program; a step sets it only when allowEnv lists it\n  hint: if the drill needs it, add allowEnv: [NODE_OPTIONS] at the top level of the scenario',
    ]);
  });

  it('is a warning once allowEnv lists it, and allowEnv takes only names of the list', () => {
    const text = `${head}allowEnv: [PATH, LD_LIBARY_PATH, TZ, "1X"]\nsteps:\n  - { id: a, uses: local, run: [x], with: { env: { PATH: /opt/pg/bin, TZ: UTC } } }\n`;
    expect(all(text)).toEqual([
      'scenario.yaml:7:18: allowEnv[1]: "LD_LIBARY_PATH" needs no allowing: allowEnv lists variables that change how programs load or run\n  hint: did you mean "LD_LIBRARY_PATH"?',
      'scenario.yaml:7:34: allowEnv[2]: "TZ" needs no allowing: allowEnv lists variables that change how programs load or run\n  hint: such as LD_LIBRARY_PATH, PATH, NODE_OPTIONS or PYTHONPATH',
      'scenario.yaml:7:38: allowEnv[3]: "1X" is not an environment variable name\n  hint: letters, digits and _, not starting with a digit',
      'scenario.yaml:9:52: warning: steps[0].with.env: PATH chooses which program a command name runs (allowed by allowEnv)\n  hint: remove it from allowEnv when the drill no longer needs it',
    ]);
  });

  it('matches names exactly, or by prefix where the list says so', () => {
    expect(findProgramEnv('LD_PRELOAD')?.name).toBe('LD_PRELOAD');
    expect(findProgramEnv('LD_PRELOADX')).toBeUndefined();
    expect(findProgramEnv('GIT_CONFIG_COUNT')?.name).toBe('GIT_CONFIG');
    expect(findProgramEnv('PGPASSWORD')).toBeUndefined();
    expect(new Set(programEnv.map((entry) => entry.name)).size).toBe(programEnv.length);
  });
});
