/** The s3 target a step runs on, with its credentials resolved from declared secrets when it names them. */
import { type AttemptContext, type S3TargetOptions, s3TargetSchema } from '../../../src/runner-contract.js';
import { StepError } from '../step-error.js';

export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface ResolvedS3Target {
  name: string;
  options: S3TargetOptions;
  bucket: string;
  prefix: string;
  /** Undefined: the AWS default chain (environment, shared files and profiles, SSO, instance roles). */
  credentials?: S3Credentials;
}

/** The step's target, checked; throws StepError (never quoting a secret value). */
export function resolveS3Target(ctx: Pick<AttemptContext, 'target' | 'secret'>, runner: string): ResolvedS3Target {
  const target = ctx.target;
  if (!target || target.kind !== 's3' || !('options' in target)) {
    throw new StepError('S3_NO_TARGET', `${runner}: the step needs \`on:\` an s3 target`);
  }
  const parsed = s3TargetSchema.safeParse(target.options);
  if (!parsed.success) throw new StepError('S3_BAD_TARGET', `${runner}: target ${target.name}: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  const options = parsed.data;
  const resolved: ResolvedS3Target = { name: target.name, options, bucket: options.bucket, prefix: options.prefix ?? '' };
  if (options.accessKeyIdSecret !== undefined && options.secretAccessKeySecret !== undefined) {
    const value = (name: string, what: string): string => {
      const found = ctx.secret?.(name);
      if (found === undefined || found === '') throw new StepError('S3_NO_CREDENTIALS', `${runner}: secret ${name} (the ${what} of target ${target.name}) has no value`);
      return found;
    };
    const sessionToken = options.sessionTokenSecret === undefined ? undefined : value(options.sessionTokenSecret, 'session token');
    resolved.credentials = {
      accessKeyId: value(options.accessKeyIdSecret, 'access key id'),
      secretAccessKey: value(options.secretAccessKeySecret, 'secret access key'),
      ...(sessionToken === undefined ? {} : { sessionToken }),
    };
  }
  return resolved;
}

/** The bucket key of a key written relative to the target's prefix. */
export function fullKey(target: Pick<ResolvedS3Target, 'prefix'>, key: string): string {
  return target.prefix + key;
}

/** The key relative to the target's prefix (keys outside it are returned whole). */
export function relativeKey(target: Pick<ResolvedS3Target, 'prefix'>, key: string): string {
  return key.startsWith(target.prefix) ? key.slice(target.prefix.length) : key;
}
