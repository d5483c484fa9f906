/** What validation accepts in s3 and canary steps and targets, before any template is filled in. */
import { describe, expect, it } from 'vitest';
import { canaryReadOptions, canaryWriteOptions } from '../../../runners/canary/definition.js';
import { s3ExportOptions, s3GetOptions, s3LatestOptions, s3VerifyOptions } from '../../../runners/s3/definition.js';
import { s3TargetAddress, s3TargetSchema } from '../../../src/scenario/targets/s3.js';

const messages = (result: { success: boolean; error?: { issues: { message: string; path: PropertyKey[] }[] } }) =>
  result.success ? [] : (result.error?.issues ?? []).map((issue) => `${issue.path.join('.')}: ${issue.message}`);

describe('s3 and canary options', () => {
  it('let templates through, and check the value once it is known', () => {
    expect(s3GetOptions.safeParse({ key: 'k', file: 'f', sha256: '${{ steps.m.outputs.sha256 }}' }).success).toBe(true);
    expect(messages(s3GetOptions.safeParse({ key: 'k', file: 'f', sha256: 'abc' }))).toEqual(['sha256: expected a hex SHA-256 digest (64 characters)']);
    expect(s3LatestOptions.safeParse({ asOf: '${{ marks.t0 }}' }).success).toBe(true);
    expect(messages(s3LatestOptions.safeParse({ match: '([' }))).toEqual(['match: is not a valid regular expression']);
    expect(canaryReadOptions.safeParse({ file: 'm.jsonl', t0: '${{ marks.t0 }}' }).success).toBe(true);
    expect(messages(canaryReadOptions.safeParse({ file: 'm.jsonl', t0: 'yesterday' }))).toEqual(['t0: expected a date-time, normally "${{ marks.t0 }}"']);
    expect(canaryWriteOptions.safeParse({ postgres: { host: 'db', user: 'u', database: 'd', port: '${{ vars.port }}' } }).success).toBe(true);
    expect(messages(canaryWriteOptions.safeParse({ postgres: { host: 'db', user: 'u', database: 'd', port: '70000' } }))).toEqual(['postgres.port: expected a TCP port']);
  });

  it('refuse checks that cannot apply', () => {
    expect(messages(s3VerifyOptions.safeParse({ legalHold: true }))).toEqual(['legalHold: `legalHold` checks an object: give its `key`']);
    expect(messages(s3VerifyOptions.safeParse({ key: 'k', exists: false, size: 1 }))).toEqual(['size: `size` cannot be checked on an object that must not exist']);
    expect(messages(canaryWriteOptions.safeParse({ file: 'a', s3: { key: 'b' } }))).toEqual([': name exactly one marker store: file, s3 or postgres (got file and s3)']);
    expect(messages(canaryWriteOptions.safeParse({ interval: '1s' }))).toEqual([': name exactly one marker store: file, s3 or postgres']);
  });

  it('s3.export: acceptDeletions is a boolean; insufficientSpace is refuse or warn, for a local folder', () => {
    expect(s3ExportOptions.safeParse({ to: { dir: 'export' }, acceptDeletions: true, insufficientSpace: 'warn' }).success).toBe(true);
    expect(messages(s3ExportOptions.safeParse({ to: { dir: 'export' }, acceptDeletions: 'yes' }))).toEqual(['acceptDeletions: Invalid input: expected boolean, received string']);
    expect(messages(s3ExportOptions.safeParse({ to: { dir: 'export' }, insufficientSpace: 'ignore' }))).toEqual(['insufficientSpace: Invalid option: expected one of "refuse"|"warn"']);
    expect(messages(s3ExportOptions.safeParse({ to: { target: 'new', state: 's.jsonl' }, insufficientSpace: 'warn' }))).toEqual(['insufficientSpace: `insufficientSpace` applies to a local folder (`to.dir`)']);
  });

  it('check an s3 target: bucket name, endpoint, credential secrets in pairs', () => {
    expect(s3TargetSchema.safeParse({ bucket: 'shop-backups', region: 'eu-west-1', endpoint: 'http://127.0.0.1:7480' }).success).toBe(true);
    expect(messages(s3TargetSchema.safeParse({ bucket: 'Shop_Backups', region: 'eu-west-1', endpoint: 'http://127.0.0.1:7480/path', accessKeyIdSecret: 'id' }))).toEqual([
      'bucket: expected a bucket name: 3–63 lowercase letters, digits, dots or hyphens',
      'endpoint: expected a base URL such as https://s3.example or http://127.0.0.1:7480 (no path)',
      'secretAccessKeySecret: `accessKeyIdSecret` and `secretAccessKeySecret` go together: name both secrets, or neither for the AWS default chain',
    ]);
    expect(s3TargetAddress({ bucket: 'b', prefix: 'pg/', endpoint: 'http://127.0.0.1:7480' })).toBe('s3://b/pg/ at http://127.0.0.1:7480');
    expect(s3TargetAddress({ bucket: 'b' })).toBe('s3://b/');
  });
});
