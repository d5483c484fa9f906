/**
 * The canary runners: measured RPO. `canary.write` (a background step, `until: t0`) puts timestamped
 * markers into the data store under test at a steady interval; after recovery `canary.read` finds the
 * newest marker that survived and reports RPO = T0 − that marker, with the measurement's uncertainty.
 * The store is one of: a file, an object on an s3 target (`on:`), or a PostgreSQL table written with psql.
 */
import { z } from 'zod';
import { defineRunner, durationOption } from '../../src/runner-contract.js';
import { templatedString } from '../shared/templated.js';

const identifier = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?$/;

/** A PostgreSQL database reached with psql over TCP (or a socket folder as `host`). */
export const canaryPostgresOptions = z.strictObject({
  host: z.string().min(1),
  /** A number, or text such as `"${{ vars.port }}"`. */
  port: z
    .union([z.number().int().min(1).max(65_535), templatedString((text) => /^\d{1,5}$/.test(text) && Number(text) >= 1 && Number(text) <= 65_535, 'expected a TCP port')])
    .optional(),
  user: z.string().min(1),
  database: z.string().min(1),
  /** NAME of a declared secret holding the password (passed to psql in its environment, never in argv). */
  passwordSecret: z.string().regex(/^[A-Za-z_][A-Za-z0-9_-]*$/, { message: 'expected the name of a declared secret' }).optional(),
  /** Marker table, `name` or `schema.name` (default drillbook_canary; created by the writer). */
  table: z.string().regex(identifier, { message: 'expected a table name such as drillbook_canary or ops.canary' }).optional(),
  /** The psql program (default: psql on PATH). */
  psql: z.string().min(1).optional(),
});

const storeShape = {
  /** A file of JSON lines, relative to the scenario's folder. */
  file: z.string().min(1).optional(),
  /** One object on the step's s3 target (`on:`), key relative to the target's prefix. */
  s3: z.strictObject({ key: z.string().min(1) }).optional(),
  postgres: canaryPostgresOptions.optional(),
};

function oneStore(options: { file?: unknown; s3?: unknown; postgres?: unknown }, issues: z.RefinementCtx): void {
  const given = (['file', 's3', 'postgres'] as const).filter((store) => options[store] !== undefined);
  if (given.length !== 1) {
    issues.addIssue({ code: 'custom', message: `name exactly one marker store: file, s3 or postgres${given.length ? ` (got ${given.join(' and ')})` : ''}`, path: [] });
  }
}

/** `with` of `canary.write`. */
export const canaryWriteOptions = z
  .strictObject({
    ...storeShape,
    /** Time between markers (default 1s): the resolution of the measured RPO. */
    interval: durationOption.optional(),
  })
  .superRefine(oneStore);

/** `with` of `canary.read`. */
export const canaryReadOptions = z
  .strictObject({
    ...storeShape,
    /** The disaster's instant, normally `${{ marks.t0 }}`. */
    t0: templatedString((text) => !Number.isNaN(Date.parse(text)), 'expected a date-time, normally "${{ marks.t0 }}"'),
  })
  .superRefine(oneStore);

export type CanaryStoreOptions = Pick<z.output<typeof canaryWriteOptions>, 'file' | 's3' | 'postgres'>;
export type CanaryWriteOptions = z.output<typeof canaryWriteOptions>;
export type CanaryReadOptions = z.output<typeof canaryReadOptions>;
export type CanaryPostgresOptions = z.infer<typeof canaryPostgresOptions>;

export const canaryWriteRunner = defineRunner({
  name: 'canary.write',
  summary: 'write timestamped markers into a data store until stopped (run it in the background until t0)',
  options: canaryWriteOptions,
  run: 'forbidden',
  targetKinds: ['local', 's3'],
  expects: ['stdout'],
  load: async () => (await import('./write.js')).createCanaryWriteRunner(),
});

export const canaryReadRunner = defineRunner({
  name: 'canary.read',
  checks: true,
  summary: 'find the newest surviving marker: rpoMs = t0 − marker, with the measurement uncertainty',
  options: canaryReadOptions,
  run: 'forbidden',
  targetKinds: ['local', 's3'],
  expects: ['stdout'],
  load: async () => (await import('./read.js')).createCanaryReadRunner(),
});
