/** `exit:`: normalisation, defaults, and every problem with its position and hint. */
import { describe, expect, it } from 'vitest';
import { compileScenario } from '../../src/scenario/compile.js';
import { renderPlanText } from '../../src/scenario/plan.js';
import { problems, valid } from './helpers.js';

const exitHead = `version: 1
kind: exit
id: inline
title: Inline exit
owner: contract-management
`;

const exportSteps = `targets:
  provider: { s3: { bucket: shop-data, region: us-east-1 } }
  db: { ssh: { host: db.example } }
steps:
  - id: transfer
    parallel:
      - id: export-objects
        uses: s3.export
        on: provider
        with: { to: { dir: export } }
      - id: dump-db
        uses: ssh.dump
        on: db
        run: [pg_dump, -Fc, shop]
        with: { file: export/shop.dump }
  - id: restore-dump
    uses: local
    run: [pg_restore, export/shop.dump]
cleanup:
  - id: remove-export
    uses: local
    run: [rm, -rf, export]
`;

describe('exit: normalised', () => {
  it('gives each step the role its runner declares: export, reimport or none', () => {
    const scenario = valid(`${exitHead}objectives: {}\n${exportSteps}`);
    const steps = scenario.steps.flatMap((s) => (s.type === 'group' ? s.parallel : [s]));
    expect(Object.fromEntries(steps.map((s) => [s.id, s.role ?? null]))).toMatchObject({ 'export-objects': 'export', 'dump-db': 'export', 'restore-dump': null });
  });

  it('takes every key, sizes in bytes', () => {
    const scenario = valid(`${exitHead}objectives: { exitPeriod: 30d }
exit:
  openFormats: [csv, json, pg-dump]
  dataVolume: 12TiB
  egressPricePerGB: 0.09
  currency: EUR
  maxCost: 2000
  reimport: [restore-dump, transfer]
  require: [complete, within-period, cost]
${exportSteps}`);
    expect(scenario.exit).toEqual({
      openFormats: ['csv', 'json', 'pg-dump'],
      dataVolumeBytes: 12 * 1024 ** 4,
      egressPricePerGB: 0.09,
      currency: 'EUR',
      maxCost: 2000,
      reimportSteps: ['restore-dump', 'transfer'],
      required: ['complete', 'within-period', 'cost'],
    });
  });

  it('a kind: exit scenario without exit: gets the defaults: every item but cost required', () => {
    expect(valid(`${exitHead}objectives: {}\n${exportSteps}`).exit).toEqual({
      openFormats: [],
      reimportSteps: [],
      required: ['complete', 'integral', 'open-formats', 'metadata', 'reimport', 'within-period'],
    });
  });

  it('other kinds have no plan, and a free egress (price 0) is a price', () => {
    expect(valid(`${exitHead.replace('kind: exit', 'kind: drill')}objectives: {}\nsteps:\n  - { id: a, uses: wait, with: { duration: 1s } }\n`).exit).toBeUndefined();
    expect(valid(`${exitHead}objectives: {}\nexit: { egressPricePerGB: 0, currency: EUR }\n${exportSteps}`).exit?.egressPricePerGB).toBe(0);
  });
});

describe('exit: problems', () => {
  it('sizes, formats, currencies and checklist items, each at its value', () => {
    expect(
      problems(`${exitHead}objectives: {}
exit:
  openFormats: [csv, 7, parquett, Binary]
  dataVolume: 0GB
  egressPricePerGB: -1
  currency: eur
  require: [complete, integrity]
${exportSteps}`),
    ).toEqual([
      'scenario.yaml:8:22: exit.openFormats[1]: expected a format id, got 7',
      'scenario.yaml:8:25: exit.openFormats[2]: unknown format "parquett"\n  hint: did you mean "parquet"?',
      'scenario.yaml:8:35: exit.openFormats[3]: unknown format "Binary"\n  hint: did you mean "binary"?',
      'scenario.yaml:9:15: exit.dataVolume: "0GB" is no data at all\n  hint: a size above zero, e.g. 12TiB',
      'scenario.yaml:10:21: exit.egressPricePerGB: must be at least 0, got -1',
      'scenario.yaml:11:13: exit.currency: "eur" is not an ISO 4217 currency code\n  hint: three capital letters, e.g. EUR, USD, GBP or CHF',
      'scenario.yaml:12:23: exit.require[1]: must be one of complete, integral, open-formats, metadata, reimport, within-period or cost, got "integrity"\n  hint: did you mean "integral"?',
    ]);
  });

  it('a list of formats that is not a list, and an unknown key', () => {
    expect(problems(`${exitHead}objectives: {}\nexit: { openFormats: csv, volume: 1TB }\n${exportSteps}`)).toEqual([
      'scenario.yaml:7:22: exit.openFormats: expected a list of format ids, got "csv"\n  hint: e.g. openFormats: [csv, json, pdf]',
      'scenario.yaml:7:27: exit: unknown key "volume"\n  hint: allowed keys: openFormats, dataVolume, egressPricePerGB, currency, maxCost, reimport, require',
    ]);
  });

  it('a currency without a price, a cost limit without a price, cost required without a price', () => {
    expect(problems(`${exitHead}objectives: {}\nexit:\n  currency: EUR\n  maxCost: 100\n  require: [complete, cost]\n${exportSteps}`)).toEqual([
      'scenario.yaml:8:13: exit.currency: a currency without egressPricePerGB\n  hint: add egressPricePerGB (per GB of 10^9 bytes), or remove currency',
      'scenario.yaml:9:12: exit.maxCost: a cost limit without egressPricePerGB cannot be judged\n  hint: add egressPricePerGB and currency, or remove maxCost',
      'scenario.yaml:10:23: exit.require[1]: cost is required, but no egressPricePerGB is declared\n  hint: add egressPricePerGB and currency, or leave cost out of require',
    ]);
  });

  it('re-import steps that do not exist (with a suggestion) or are not steps; a bad id is not reported twice', () => {
    expect(problems(`${exitHead}objectives: {}\nexit: { reimport: [restore-dupm, remove-export, Bad_Id] }\n${exportSteps}`)).toEqual([
      'scenario.yaml:7:20: exit.reimport[0]: no step "restore-dupm"\n  hint: did you mean "restore-dump"?',
      'scenario.yaml:7:34: exit.reimport[1]: step "remove-export" is in cleanup; a re-import is proven by a step of steps\n  hint: name a step under steps:, or move this one there',
      'scenario.yaml:7:49: exit.reimport[2]: "Bad_Id" is not a lowercase slug\n  hint: use lowercase letters, digits and single hyphens, starting with a letter (e.g. pg-failover)',
    ]);
  });

  it('a required exit period without an export: at the require item when require is written', () => {
    const local = 'steps:\n  - id: copy\n    uses: local\n    run: [rclone, sync, a, b]\n';
    expect(problems(`${exitHead}objectives: { exitPeriod: 30d }\nexit: { require: [complete, within-period] }\n${local}`)).toEqual([
      'scenario.yaml:7:29: exit.require[1]: within-period is required, but no s3.export or ssh.dump step measures the throughput to project the exit period from\n  hint: add an s3.export or ssh.dump step under steps:, or leave within-period out of require',
    ]);
    // Not required, or no period to judge: the run shows the item as not covered instead.
    expect(problems(`${exitHead}objectives: { exitPeriod: 30d }\nexit: { require: [complete] }\n${local}`)).toEqual([]);
    expect(problems(`${exitHead}objectives: {}\n${local}`)).toEqual([]);
    // An export in cleanup measures nothing the projection can use.
    expect(problems(`${exitHead}objectives: { exitPeriod: 30d }\n${local}cleanup:\n  - { id: late, uses: ssh.dump, run: [pg_dump], with: { file: x } }\n`)).toHaveLength(1);
  });
});

describe('drillbook plan', () => {
  it('prints the exit plan under the objectives', () => {
    const scenario = valid(`${exitHead}objectives: { exitPeriod: 30d }
exit: { openFormats: [csv, pg-dump], dataVolume: 12TiB, egressPricePerGB: 0.09, currency: EUR, maxCost: 2000, reimport: [restore-dump] }
${exportSteps}`);
    expect(renderPlanText(compileScenario(scenario)).split('\n').slice(2, 8)).toEqual([
      'objectives: exit period 30d',
      'exit readiness: required complete, integral, open-formats, metadata, reimport, within-period',
      '  open formats: csv, pg-dump',
      '  data volume: 12 TiB (declared)',
      '  egress: 0.09 EUR per GB, at most 2,000 EUR',
      '  re-import proven by: restore-dump',
    ]);
    const bare = renderPlanText(compileScenario(valid(`${exitHead}objectives: {}\n${exportSteps}`)));
    expect(bare).toContain('  open formats: none declared (open-formats not covered)\n  data volume: what the export steps list\n  egress: no price declared (cost not covered)\n  re-import proven by: s3.import steps only\n');
  });
});
