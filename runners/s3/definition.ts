/**
 * The s3 runners as the validator and compiler see them: option schemas and lazy loaders. The AWS SDK is
 * imported only when a step of one of them runs, so `validate` and `plan` stay fast.
 */
import { z } from 'zod';
import { defineRunner } from '../../src/runner-contract.js';
import { templatedString } from '../shared/templated.js';

const hexSha256 = templatedString((text) => /^[0-9a-fA-F]{64}$/.test(text), 'expected a hex SHA-256 digest (64 characters)');
/** Keys are relative to the target's `prefix`. */
const key = z.string().min(1).max(1024);
const isoTime = templatedString((text) => !Number.isNaN(Date.parse(text)), 'expected a date-time such as 2026-11-28T14:00:00Z or "${{ marks.t0 }}"');

/** `with` of `s3.latest`. */
export const s3LatestOptions = z.strictObject({
  /** Narrows the listing: appended to the target's prefix. */
  prefix: z.string().optional(),
  /** Only keys (relative to the target's prefix) this regular expression finds. */
  match: templatedString((text) => {
    try {
      new RegExp(text);
      return true;
    } catch {
      return false;
    }
  }, 'is not a valid regular expression').optional(),
  /** Age is measured at this instant (e.g. `${{ marks.t0 }}`) instead of when the step starts. */
  asOf: isoTime.optional(),
});

/** `with` of `s3.get`. */
export const s3GetOptions = z.strictObject({
  key,
  versionId: z.string().min(1).optional(),
  /** Local destination, relative to the scenario's folder (folders are created); written under a temporary name, renamed once checked. */
  file: z.string().min(1),
  /** Expected SHA-256 of the object: a mismatch fails the step and leaves no file behind. */
  sha256: hexSha256.optional(),
  /** Replace an existing file (default false: an existing file fails the step before any download). */
  overwrite: z.boolean().optional(),
});

/** `with` of `s3.put`. */
export const s3PutOptions = z.strictObject({
  /** Local source, relative to the scenario's folder. */
  file: z.string().min(1),
  key,
  /** Expected SHA-256 of the file: checked while uploading; on a mismatch the uploaded object is removed. */
  sha256: hexSha256.optional(),
  /** Multipart part size in MiB (default 8; S3 needs at least 5). Memory in use is about partSizeMiB × concurrency. */
  partSizeMiB: z.number().int().min(5).max(5_120).optional(),
  /** Parts in flight at once (default 4). */
  concurrency: z.number().int().min(1).max(64).optional(),
  contentType: z.string().min(1).optional(),
});

/** `with` of `s3.verify`: every check given must hold. Without `key`, only bucket checks apply. */
export const s3VerifyOptions = z
  .strictObject({
    key: key.optional(),
    versionId: z.string().min(1).optional(),
    /** The object must exist (default true), or must not (`false`). */
    exists: z.boolean().optional(),
    /** Exact size in bytes. */
    size: z.number().int().min(0).optional(),
    /** SHA-256 of the whole object, computed by reading it (streamed, not stored). */
    sha256: hexSha256.optional(),
    /** The bucket has versioning enabled. */
    versioning: z.literal(true).optional(),
    /** Object Lock: the object's retention (the bucket's default retention without `key`). */
    objectLock: z
      .strictObject({
        /** Retention must last at least this many more days (from now). */
        minRetentionDays: z.number().min(0).optional(),
        mode: z.enum(['GOVERNANCE', 'COMPLIANCE']).optional(),
      })
      .optional(),
    /** The object's legal hold is ON (`true`) or OFF (`false`). */
    legalHold: z.boolean().optional(),
  })
  .superRefine((options, issues) => {
    if (options.exists === false) {
      for (const field of ['size', 'sha256', 'objectLock', 'legalHold'] as const) {
        if (options[field] !== undefined) issues.addIssue({ code: 'custom', message: `\`${field}\` cannot be checked on an object that must not exist`, path: [field] });
      }
    }
    if (options.key !== undefined) return;
    for (const field of ['versionId', 'exists', 'size', 'sha256', 'legalHold'] as const) {
      if (options[field] !== undefined) issues.addIssue({ code: 'custom', message: `\`${field}\` checks an object: give its \`key\``, path: [field] });
    }
  });

/** `with` of `s3.export`: every object under the target's prefix (and `prefix`) to a local folder or another s3 target. */
export const s3ExportOptions = z
  .strictObject({
    /** Narrows the export: appended to the target's prefix. */
    prefix: z.string().optional(),
    /** The destination: `dir` (a local folder, relative to the scenario's folder) or `target` (another s3 target: the new provider). */
    to: z
      .strictObject({
        dir: z.string().min(1).optional(),
        target: z.string().min(1).optional(),
        /** With `target`: written under the destination target's prefix and this. */
        prefix: z.string().optional(),
        /** With `target`: the local file that keeps the manifest between attempts, so an interrupted export resumes. */
        state: z.string().min(1).optional(),
      })
      .superRefine((to, issues) => {
        if ((to.dir === undefined) === (to.target === undefined)) issues.addIssue({ code: 'custom', message: 'give either `dir` (a local folder) or `target` (an s3 target)' });
        if (to.target !== undefined && to.state === undefined) issues.addIssue({ code: 'custom', message: '`state` (a local file for the manifest) is needed with `target`', path: ['state'] });
        if (to.dir !== undefined && to.prefix !== undefined) issues.addIssue({ code: 'custom', message: '`prefix` applies to an s3 destination', path: ['prefix'] });
        if (to.dir !== undefined && to.state !== undefined) issues.addIssue({ code: 'custom', message: 'a local export keeps its manifest in the folder: leave out `state`', path: ['state'] });
      }),
    /** Objects copied at once (default 16). Memory in use is bounded by this × the part size. */
    concurrency: z.number().int().min(1).max(256).optional(),
    /** Every version of every key, not only the latest (default false). */
    versions: z.boolean().optional(),
    /** Read every copy back from the destination and compare it with the manifest (default true). */
    verifyDestination: z.boolean().optional(),
    /**
     * Objects deleted at the source during the export, by a workload documented to delete (a retention job,
     * a queue drained as it is read), are listed in the record but are no gap (default false: they fail it).
     */
    acceptDeletions: z.boolean().optional(),
    /**
     * A local folder (`to.dir`) with less free space than the objects still to copy take: `refuse` (the
     * default) fails the step before any download, `warn` logs it, records it and starts anyway.
     */
    insufficientSpace: z.enum(['refuse', 'warn']).optional(),
    /** Continue from the manifest of an earlier, interrupted export (default true). */
    resume: z.boolean().optional(),
    /** Multipart part size in MiB for an s3 destination (default 8). */
    partSizeMiB: z.number().int().min(5).max(5_120).optional(),
  })
  .superRefine((options, issues) => {
    if (options.insufficientSpace !== undefined && options.to.dir === undefined) {
      issues.addIssue({ code: 'custom', message: '`insufficientSpace` applies to a local folder (`to.dir`)', path: ['insufficientSpace'] });
    }
  });

/** `with` of `s3.import`: put an export's objects into the step's target (a neutral bucket) and prove them there. */
export const s3ImportOptions = z.strictObject({
  /** The export folder written by `s3.export` (relative to the scenario's folder). */
  from: z.string().min(1),
  /** Manifest to import (the export step's id); default: every manifest in the folder. */
  manifest: z.string().min(1).optional(),
  /** Written under the target's prefix and this. */
  prefix: z.string().optional(),
  /** Objects uploaded (and read back) at once (default 16). */
  concurrency: z.number().int().min(1).max(256).optional(),
});

export type S3LatestOptions = z.output<typeof s3LatestOptions>;
export type S3GetOptions = z.output<typeof s3GetOptions>;
export type S3PutOptions = z.output<typeof s3PutOptions>;
export type S3VerifyOptions = z.output<typeof s3VerifyOptions>;
export type S3ExportOptions = z.output<typeof s3ExportOptions>;
export type S3ImportOptions = z.output<typeof s3ImportOptions>;

export const s3LatestRunner = defineRunner({
  name: 's3.latest',
  checks: true,
  summary: 'find the newest object under a prefix (key, size, lastModified, versionId, ageMs as JSON)',
  options: s3LatestOptions,
  run: 'forbidden',
  targetKinds: ['s3'],
  expects: ['stdout'],
  load: async () => (await import('./latest.js')).createS3LatestRunner(),
});

export const s3GetRunner = defineRunner({
  name: 's3.get',
  summary: 'download an object to a file, streamed, SHA-256 checked before the file appears',
  options: s3GetOptions,
  run: 'forbidden',
  targetKinds: ['s3'],
  expects: ['stdout'],
  load: async () => (await import('./get.js')).createS3GetRunner(),
});

export const s3PutRunner = defineRunner({
  name: 's3.put',
  summary: 'upload a file, streamed (multipart when large), with its SHA-256',
  options: s3PutOptions,
  run: 'forbidden',
  targetKinds: ['s3'],
  expects: ['stdout'],
  load: async () => (await import('./put.js')).createS3PutRunner(),
});

export const s3VerifyRunner = defineRunner({
  name: 's3.verify',
  checks: true,
  summary: 'check an object and its bucket: exists, size, SHA-256, versioning, Object Lock retention, legal hold',
  options: s3VerifyOptions,
  run: 'forbidden',
  targetKinds: ['s3'],
  expects: ['stdout'],
  load: async () => (await import('./verify.js')).createS3VerifyRunner(),
});

export const s3ExportRunner = defineRunner({
  name: 's3.export',
  role: 'export',
  summary: 'copy every object under a prefix to a folder or another s3 target: SHA-256 per object, manifest, reconciliation, resume',
  options: s3ExportOptions,
  run: 'forbidden',
  targetKinds: ['s3'],
  expects: ['stdout'],
  targetOptions: [{ path: ['to', 'target'], kinds: ['s3'] }],
  load: async () => (await import('./export.js')).createS3ExportRunner(),
});

export const s3ImportRunner = defineRunner({
  name: 's3.import',
  role: 'reimport',
  summary: "put an export's objects into a neutral bucket and prove them there (count, size, SHA-256)",
  options: s3ImportOptions,
  run: 'forbidden',
  targetKinds: ['s3'],
  expects: ['stdout'],
  load: async () => (await import('./import.js')).createS3ImportRunner(),
});
