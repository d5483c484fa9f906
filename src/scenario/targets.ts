/**
 * Target kinds: the one table saying what `targets.NAME` may be. A new kind (ssh, s3 …) is one entry:
 * the schema of the value under its key, and how it becomes a normalised `Target`.
 */
import { z } from 'zod';
import { note } from './issues.js';
import { s3SecretRefs, s3TargetSchema } from './targets/s3.js';
import { inlineSshJumps, sshJumpSchema, sshSecretRefs, sshTargetSchema } from './targets/ssh.js';
import type { Target } from './types.js';

export interface TargetKind {
  /** Schema of the value under the kind's key, e.g. `{ baseUrl }` for `http`. */
  schema: z.ZodType;
  /** Called only with what `schema` accepted. */
  normalize(name: string, options: unknown): Target;
  /** Names of declared secrets the target refers to; the validator checks they exist. */
  secretRefs?(options: unknown): string[];
  /**
   * Work across the targets of this kind once each has parsed (ssh jumps that name other targets):
   * the options to normalise, and problems by target name.
   */
  link?(targets: Readonly<Record<string, unknown>>, otherNames: readonly string[]): TargetLinks;
  /** Parts of `schema` that get a name of their own in the JSON Schema's `$defs` (recursive ones need it). */
  jsonDefs?: Readonly<Record<string, z.ZodType>>;
}

export interface TargetLinks {
  targets: Record<string, unknown>;
  problems: { target: string; message: string }[];
}

/** Typed at the definition, erased in the table: `normalize` only ever sees what `schema` parsed. */
function defineTargetKind<S extends z.ZodType>(kind: {
  schema: S;
  normalize(name: string, options: z.output<S>): Target;
  secretRefs?(options: z.output<S>): string[];
  link?(targets: Readonly<Record<string, z.output<S>>>, otherNames: readonly string[]): TargetLinks;
  jsonDefs?: Readonly<Record<string, z.ZodType>>;
}): TargetKind {
  // Method parameters are bivariant: the typed kind is assignable to the erased one.
  return kind;
}

const absoluteHttpPattern = /^https?:\/\/[^\s/?#@]+(?:[/?#]\S*)?$/i;

const userinfoPattern = /^[a-z][a-z\d+.-]*:\/\/[^/?#]*@/i;

/** True for a URL with a user name or a password in it (`https://user:pass@host/`). */
export function hasUrlCredentials(text: string): boolean {
  return userinfoPattern.test(text);
}

/** Said of a URL with credentials, wherever it is written. */
export const urlCredentialsProblem = {
  message: 'the URL has a user name or password in it: credentials in a URL are sent nowhere safe and end up in logs',
  hint: 'put a secret in a header instead: headers: { Authorization: "Bearer ${{ secrets.NAME }}" }',
} as const;

/** True for an absolute http:// or https:// URL with a host. */
export function isAbsoluteHttpUrl(text: string): boolean {
  return absoluteHttpPattern.test(text) && URL.canParse(text);
}

export const absoluteHttpUrlSchema = note(
  z
    .string()
    // Aborts: the pattern would only add that such a URL is not absolute.
    .refine((text) => !hasUrlCredentials(text), { abort: true, message: urlCredentialsProblem.message, params: { code: 'url-credentials', hint: urlCredentialsProblem.hint } })
    .regex(absoluteHttpPattern)
    .refine((text) => !absoluteHttpPattern.test(text) || URL.canParse(text), { message: 'is not a valid URL' }),
  { code: 'bad-url', expected: 'an absolute http(s) URL', hint: 'e.g. https://app.example or http://127.0.0.1:8080' },
);

export const targetKinds = {
  local: defineTargetKind({
    schema: note(z.strictObject({}), { expected: 'an empty mapping', hint: 'write local: {}' }),
    normalize: (name) => ({ name, kind: 'local' }),
  }),
  http: defineTargetKind({
    schema: z.strictObject({ baseUrl: absoluteHttpUrlSchema }),
    normalize: (name, options) => ({ name, kind: 'http', baseUrl: options.baseUrl }),
  }),
  ssh: defineTargetKind({
    schema: sshTargetSchema,
    normalize: (name, options) => ({ name, kind: 'ssh', options }),
    secretRefs: sshSecretRefs,
    link: (targets, otherNames) => inlineSshJumps(targets, otherNames),
    jsonDefs: { 'ssh-jump': sshJumpSchema },
  }),
  s3: defineTargetKind({
    schema: s3TargetSchema,
    normalize: (name, options) => ({ name, kind: 's3', options }),
    secretRefs: s3SecretRefs,
  }),
} satisfies Record<string, TargetKind>;

export type TargetKindName = keyof typeof targetKinds;

export const targetKindSchemas: Readonly<Record<string, z.ZodType>> = Object.fromEntries(
  Object.entries(targetKinds).map(([kind, entry]) => [kind, entry.schema]),
);
