/** Caps on the lists of a scenario: counted before anything else is checked, pointing at the first item too many. */
import { describe, expect, it } from 'vitest';
import { maxSecrets, maxSteps, maxTargetHosts, maxTargets } from '../../src/scenario/limits.js';
import { head, problems, valid } from './helpers.js';

const wait = '{ id: s, uses: wait, with: { duration: 1s } }';

describe('limits', () => {
  it('count steps across preconditions, steps and cleanup, group members included, and aliases as what they repeat', () => {
    const group = `{ id: g, parallel: [${Array.from({ length: 10 }, (_, i) => `{ id: m${i}, uses: wait, with: { duration: 1s } }`).join(', ')}] }`;
    const text = (cleanup: number): string =>
      `${head}preconditions:\n  - &g ${group}\nsteps:\n${Array.from({ length: 489 }, (_, i) => `  - { id: s${i}, uses: wait, with: { duration: 1s } }`).join('\n')}\ncleanup:\n${'  - *g\n'.repeat(cleanup)}`;
    // 10 + 489 + 50 × 10 = 999: valid as far as the cap goes (the aliased ids repeat).
    expect(problems(text(50)).filter((line) => line.includes('too-many'))).toEqual([]);
    expect(problems(text(51))).toEqual([
      `scenario.yaml:550:5: cleanup[50].parallel[1]: a scenario holds at most ${maxSteps} steps (preconditions, steps and cleanup, group members included); this one has 1009\n  hint: split it into several scenarios`,
    ]);
  });

  it('cap secrets, targets and the hosts of one target, reporting every list over its cap at once', () => {
    const secrets = Array.from({ length: maxSecrets + 1 }, (_, i) => `  k${i}: { env: K${i} }`).join('\n');
    const targets = Array.from({ length: maxTargets + 1 }, (_, i) => `  t${i}: { local: {} }`).join('\n');
    const hosts = Array.from({ length: maxTargetHosts + 5 }, (_, i) => `h${i}`).join(', ');
    const text = `${head}secrets:\n${secrets}\ntargets:\n  fleet: { ssh: { hosts: [${hosts}], knownHosts: kh } }\n${targets}\nsteps:\n  - ${wait}\n`;
    expect(problems(text)).toEqual([
      `scenario.yaml:1008:3: secrets.k1000: a scenario declares at most ${maxSecrets} secrets; this one declares 1001\n  hint: split the scenario into several`,
      `scenario.yaml:1010:68917: targets.fleet.ssh.hosts[10000]: a target lists at most ${maxTargetHosts} hosts; this one lists 10005\n  hint: split the fleet into several targets`,
      `scenario.yaml:2010:3: targets.t999: a scenario declares at most ${maxTargets} targets; this one declares 1002\n  hint: hosts of one kind can share one ssh target: hosts: [...]`,
    ]);
  });

  it('let a scenario at every cap through', () => {
    const vars = Array.from({ length: 1_000 }, (_, i) => `  v${i}: "${i}"`).join('\n');
    const hosts = Array.from({ length: maxTargetHosts }, (_, i) => `h${i}`).join(', ');
    const scenario = valid(`${head}vars:\n${vars}\ntargets:\n  fleet: { ssh: { hosts: [${hosts}], knownHosts: kh } }\nsteps:\n  - ${wait}\n`);
    expect(Object.keys(scenario.vars)).toHaveLength(1_000);
  });
});

describe('defaults.logLimit', () => {
  const wait = '{ id: s, uses: wait, with: { duration: 1s } }';
  it('is 64 MiB unless set, and a size when set', () => {
    expect(valid(`${head}steps:\n  - ${wait}\n`).defaults.logLimitBytes).toBe(64 * 1024 * 1024);
    expect(valid(`${head}defaults: { logLimit: 512KiB }\nsteps:\n  - ${wait}\n`).defaults.logLimitBytes).toBe(512 * 1024);
    expect(problems(`${head}defaults: { logLimit: 0MB }\nsteps:\n  - ${wait}\n`)).toEqual([
      'scenario.yaml:7:23: defaults.logLimit: "0MB" is no data at all\n  hint: a size above zero, e.g. 12TiB',
    ]);
    expect(problems(`${head}defaults: { logLimit: lots }\nsteps:\n  - ${wait}\n`)).toEqual([
      'scenario.yaml:7:23: defaults.logLimit: "lots" is not a size\n  hint: a number and a unit: 12TiB, 500 GB, 1.5TB (KiB … EiB are powers of 1024, kB … EB powers of 1000)',
    ]);
  });
});
