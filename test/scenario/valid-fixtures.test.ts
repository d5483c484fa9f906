/** Valid fixtures exercise every key of format v1; the normalised scenario is pinned whole. */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { builtinRunners } from '../../runners/index.js';
import type { Scenario, Step } from '../../src/scenario/types.js';
import { loadScenario } from '../../src/scenario/validate.js';
import type { ValidationResult } from '../../src/scenario/validate.js';
import { fixture, fixtureNames } from './fixtures.js';

const catalog = builtinRunners;

async function load(name: string, vars: Record<string, string> = {}): Promise<Scenario> {
  const result: ValidationResult = await loadScenario(fixture('valid', name), { catalog, vars });
  if (!result.ok) throw new Error(`expected ${name} to be valid:\n${JSON.stringify(result.issues, null, 2)}`);
  return result.scenario;
}

async function source(name: string): Promise<Scenario['source']> {
  const file = resolve(fixture('valid', name));
  const sha256 = createHash('sha256').update(await readFile(file)).digest('hex');
  return { file, dir: dirname(file), sha256 };
}

/** A step with the defaults of format v1 for everything `fields` does not say. */
function step(fields: Partial<Step> & Pick<Step, 'id' | 'uses'>, timeoutMs = 600_000): Step {
  return {
    type: 'step',
    phase: 'steps',
    with: {},
    timeoutMs,
    retry: { attempts: 1, backoffMs: 0 },
    outputs: {},
    marks: [],
    continueOnError: false,
    background: false,
    idempotent: false,
    ...fields,
  };
}

describe('valid fixtures', () => {
  it('all validate', async () => {
    const names = await fixtureNames('valid');
    expect(names).toEqual(['exit-anchors', 'full-drill', 'minimal', 'restore', 'ssh-targets']);
    for (const name of names) await load(name);
    for (const name of names) {
      const result = await loadScenario(fixture('valid', name), { catalog });
      expect({ name, warnings: result.ok ? result.warnings : [] }).toEqual({ name, warnings: [] });
    }
  });

  it('minimal: every default', async () => {
    expect(await load('minimal')).toEqual({
      version: 1,
      kind: 'drill',
      id: 'minimal',
      title: 'The smallest valid scenario',
      owner: 'sre-team',
      timezone: 'UTC',
      defaults: { timeoutMs: 600_000, logLimitBytes: 64 * 1024 * 1024 },
      objectives: {},
      controls: [],
      vars: {},
      secrets: {},
      targets: {},
      preconditions: [],
      steps: [step({ id: 'pause', uses: 'wait', with: { duration: '1s' } })],
      cleanup: [],
      source: await source('minimal'),
    } satisfies Scenario);
  });

  it('full-drill: every key of the format', async () => {
    const t = 300_000; // defaults.timeout: 5m
    expect(await load('full-drill')).toEqual({
      version: 1,
      kind: 'drill',
      id: 'pg-failover',
      title: 'PostgreSQL primary to replica failover',
      owner: 'dba-team',
      description: 'The primary is stopped (T0), the replica promoted, and the application\nproven back (recovered). Cleanup fails back.\n',
      environment: 'production',
      approval: { keys: ['approver.pub'], roles: [], quorum: 1, timeoutMs: 1_800_000 },
      cadenceMs: 90 * 86_400_000,
      schedule: '0 3 * * 1',
      timezone: 'Europe/Paris',
      window: {
        hours: {
          sun: [{ startMinute: 1_320, endMinute: 360 }],
          mon: [{ startMinute: 1_320, endMinute: 360 }],
          tue: [{ startMinute: 1_320, endMinute: 360 }],
          wed: [{ startMinute: 1_320, endMinute: 360 }],
          thu: [{ startMinute: 1_320, endMinute: 360 }],
          fri: [],
          sat: [
            { startMinute: 480, endMinute: 720 },
            { startMinute: 840, endMinute: 1_080 },
          ],
        },
        blackout: [
          { from: '2026-11-27', to: '2026-11-27' },
          { from: '2026-12-18', to: '2027-01-04', reason: 'year-end change freeze' },
        ],
      },
      deadlineMs: 5_400_000,
      defaults: { timeoutMs: t, logLimitBytes: 64 * 1024 * 1024 },
      objectives: { rtoMs: 900_000, rpoMs: 60_000, exitPeriodMs: 30 * 86_400_000, rpoFrom: { stepId: 'data-loss', output: 'rpo' } },
      controls: ['ISO27001:A.5.30', 'DORA:Art.11'],
      vars: { service: 'postgresql', port: '5432', empty: '' },
      secrets: { 'api-token': { env: 'API_TOKEN' }, db_password: { file: 'secrets/db-password' } },
      allowEnv: ['LD_LIBRARY_PATH'],
      targets: {
        here: { name: 'here', kind: 'local' },
        app: { name: 'app', kind: 'http', baseUrl: 'https://app.example:8443/api' },
      },
      preconditions: [
        step(
          {
            id: 'replica-healthy',
            name: 'The replica is streaming',
            phase: 'preconditions',
            uses: 'local',
            run: ['pg_isready', '-p', '${{ vars.port }}'],
            expect: { exitCode: [0] },
          },
          t,
        ),
      ],
      steps: [
        step(
          {
            id: 'watermark',
            name: 'Write canary rows until T0',
            uses: 'local',
            run: ['canary-writer', '--every', '1s'],
            background: true,
            until: 't0',
            outputs: { rows: { stdout: 'rows=(\\d+)' } },
          },
          t,
        ),
        step({ id: 'disaster', marks: ['t0'], uses: 'local', on: 'here', run: ['systemctl', 'stop', '${{ vars.service }}'] }, t),
        step({
          id: 'promote',
          uses: 'local',
          run: ['pg_ctlcluster', '16', 'main', 'promote'],
          with: { cwd: 'work', env: { PGPASSWORD: '${{ secrets.db_password }}' }, input: 'yes\n', killGrace: '2s' },
          timeoutMs: 120_000,
          retry: { attempts: 3, backoffMs: 5_000 },
          expect: { exitCode: [0, 3], stdout: 'promoted', stderr: '^$' },
          outputs: { lsn: { stdout: 'LSN (\\S+)' }, state: { json: '/state/0' }, whole: { json: '' } },
        }),
        {
          type: 'group',
          id: 'checks',
          name: 'Probes in parallel',
          phase: 'steps',
          failFast: false,
          parallel: [
            step(
              {
                id: 'service-back',
                marks: ['recovered'],
                uses: 'http',
                on: 'app',
                with: {
                  url: '/health',
                  method: 'GET',
                  headers: { Authorization: 'Bearer ${{ secrets.api-token }}' },
                  consecutive: 3,
                  interval: '500ms',
                  requestTimeout: '2s',
                },
                expect: { status: [200, 204], body: '"ok"' },
              },
              t,
            ),
            step(
              {
                id: 'direct-probe',
                uses: 'http',
                with: { url: 'https://status.example/ping?lsn=${{ steps.promote.outputs.lsn }}' },
                expect: { status: [200] },
                continueOnError: true,
              },
              t,
            ),
          ],
        },
        step(
          {
            id: 'data-loss',
            uses: 'local',
            // `$${{` stays as written: the engine turns it into a literal `${{` when it renders.
            run: ['canary-check', '$${{ not a template }}', '${{ steps.promote.outputs.state }}'],
            outputs: { rpo: { stdout: 'rpo=(\\d+ms)' } },
          },
          t,
        ),
        step({ id: 'settle', uses: 'wait', with: { duration: '1h30m' } }, t),
      ],
      cleanup: [
        step(
          {
            id: 'failback',
            phase: 'cleanup',
            uses: 'local',
            run: ['fail-back', '${{ steps.promote.outputs.lsn }}', '${{ steps.data-loss.outputs.rpo }}'],
            outputs: { done: { stdout: '(done)' } },
          },
          t,
        ),
        step(
          {
            id: 'report',
            phase: 'cleanup',
            uses: 'local',
            run: ['echo', '${{ steps.failback.outputs.done }}', '${{ steps.watermark.outputs.rows }}'],
          },
          t,
        ),
      ],
      source: await source('full-drill'),
    } satisfies Scenario);
  });

  it('restore: %YAML 1.2 directive, document markers, kind restore, rpoFrom a JSON output', async () => {
    const scenario = await load('restore');
    expect(scenario.kind).toBe('restore');
    expect(scenario.objectives).toEqual({ rpoMs: 86_400_000, rpoFrom: { stepId: 'newest-backup', output: 'age' } });
    expect(scenario.steps.map((s) => s.id)).toEqual(['newest-backup', 'restore', 'verify']);
    expect(scenario.steps[0]).toMatchObject({ outputs: { age: { json: '/ageMs' } } });
    expect(scenario.steps[1]).toMatchObject({ timeoutMs: 7_200_000 });
    expect(scenario.steps[2]).toMatchObject({ expect: { stdout: 'rows: \\d+' } });
  });

  it('exit-anchors: aliases repeat values; quoted scalars', async () => {
    const scenario = await load('exit-anchors');
    expect(scenario).toMatchObject({ kind: 'exit', title: 'Export: every object leaves the provider', owner: 'contract-management' });
    expect(scenario.objectives).toEqual({ exitPeriodMs: 90 * 86_400_000 });
    expect(scenario.exit).toEqual({ openFormats: [], reimportSteps: ['reimport'], required: ['reimport'] });
    const [exported, again, reimport] = scenario.steps as Step[];
    expect(exported?.run).toEqual(['exporter', '--all', '--verify-sha256']);
    expect(again?.run).toEqual(exported?.run);
    expect(again?.retry).toEqual({ attempts: 5, backoffMs: 60_000 });
    expect(reimport?.retry).toEqual({ attempts: 5, backoffMs: 60_000 });
    expect(reimport?.timeoutMs).toBe(1_800_000);
  });

  it('ssh-targets: one entry per target kind; a jump naming a target is written out in full', async () => {
    const scenario = await load('ssh-targets');
    const bastion = { host: 'bastion.example', user: 'drill', hostKey: `SHA256:${'A'.repeat(43)}` };
    expect(scenario.targets).toEqual({
      here: { name: 'here', kind: 'local' },
      app: { name: 'app', kind: 'http', baseUrl: 'https://app.example' },
      bastion: { name: 'bastion', kind: 'ssh', options: bastion },
      replica: {
        name: 'replica',
        kind: 'ssh',
        options: {
          host: 'db2.example',
          user: 'drill',
          identityFile: 'keys/drill',
          passphrase: 'key-passphrase',
          hostKey: `SHA256:${'B'.repeat(43)}`,
          jump: bastion,
        },
      },
    });
    expect(scenario.steps.map((s) => [s.id, s.type === 'step' && s.uses])).toEqual([
      ['promote', 'ssh'],
      ['fetch-log', 'ssh.get'],
    ]);
  });

  it('hands the engine plain objects', async () => {
    const [, , promote] = (await load('full-drill')).steps as Step[];
    const env = promote?.with.env as object;
    expect(Object.getPrototypeOf(env)).toBe(Object.prototype);
    expect(Object.getPrototypeOf(promote?.with)).toBe(Object.prototype);
  });

  it('--var overrides a declared var', async () => {
    const scenario = await load('full-drill', { port: '6432' });
    expect(scenario.vars).toEqual({ service: 'postgresql', port: '6432', empty: '' });
  });
});
