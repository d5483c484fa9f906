/**
 * `targets.<name>.ssh`: one host or a group of hosts reached over SSH. Pure schema plus two small pure
 * helpers for the validator (secret and jump references). The runner applies the defaults below.
 */
import { z } from 'zod';
import { parseDuration } from '../duration.js';

/** Defaults the ssh runner applies when a field is left out; the one place they are written down. */
export const sshTargetDefaults = {
  port: 22,
  concurrency: 20,
  success: 'all',
  connectTimeoutMs: 10_000,
  keepaliveIntervalMs: 5_000,
  keepaliveCountMax: 3,
} as const;

const fingerprintPattern = /^SHA256:[A-Za-z0-9+/]{43}$/;
const secretNamePattern = /^[A-Za-z_][A-Za-z0-9_-]*$/;
// Host names, IP literals and ssh_config aliases; nothing a shell or the ssh_config parser would split.
const hostPattern = /^[^\s'"\\,@#]+$/;

const fingerprint = z
  .string()
  .regex(fingerprintPattern, { message: 'expected a host key fingerprint as `ssh-keygen -lf` prints it: SHA256: followed by 43 base64 characters' });
const duration = z
  .string()
  .refine((text) => parseDuration(text) !== undefined, { message: 'expected a duration such as 500ms, 5s or 1m' });
const host = z.string().regex(hostPattern, { message: 'expected a host name, an IP address or an ssh_config alias (no spaces, quotes, @ or commas)' });
const port = z.number().int().min(1).max(65_535);

/** One `SHA256:` fingerprint, or several (any of them is accepted, e.g. during a key rotation). */
export const sshHostKeySchema = z.union([fingerprint, z.array(fingerprint).min(1)]);

/** `all` hosts must pass (default), `any` one, or `{ atLeast: n }` (also written `atLeast:n`). */
export const sshSuccessRuleSchema = z.union([
  z.literal('all'),
  z.literal('any'),
  z.string().regex(/^atLeast:\s*[1-9]\d*$/, { message: 'expected all, any or atLeast:N' }),
  z.strictObject({ atLeast: z.number().int().min(1) }),
]);

/** How one connection is made: shared by targets, group members and jump hosts. Descriptions reach the JSON Schema. */
const connectionShape = {
  host: host.describe('Host name, IP address, or a Host alias of the ssh client config (HostName, User, Port, IdentityFile, ProxyJump are read)').optional(),
  port: port.describe('default 22, or the ssh config Port').optional(),
  user: z.string().min(1).describe('login user; default the ssh config User, else the local user').optional(),
  identityFile: z
    .string()
    .min(1)
    .describe('private key file; relative to the scenario folder, ~/ to the home folder')
    .optional(),
  passphrase: z
    .string()
    .regex(secretNamePattern, { message: 'expected the name of a declared secret' })
    .describe('NAME of a declared secret holding the passphrase of identityFile (never the passphrase itself)')
    .optional(),
  agent: z
    .union([z.boolean(), z.string().min(1)])
    .describe('ssh-agent: true (SSH_AUTH_SOCK; the default when it is set), false (never), or the agent socket path')
    .optional(),
  hostKey: sshHostKeySchema.describe('pinned host key: SHA256:… as `ssh-keygen -lf` prints it, or a list (any matches)').optional(),
  knownHosts: z.string().min(1).describe('known_hosts file to verify the host key against (hashed entries too), instead of pins').optional(),
  insecureAcceptAnyHostKey: z
    .literal(true)
    .describe(
      'DANGER: accept any host key, so a machine in the middle can read and alter every command. Throwaway labs only; fingerprints are still recorded',
    )
    .optional(),
  connectTimeout: duration.describe('limit for TCP connect + SSH handshake + authentication (default 10s)').optional(),
  keepaliveInterval: duration.describe('SSH keepalive interval (default 5s); a host silent for interval × keepaliveCountMax is lost').optional(),
  keepaliveCountMax: z.number().int().min(1).max(100).describe('unanswered keepalives before the connection counts as lost (default 3)').optional(),
};

export interface SshJumpOptions {
  host?: string | undefined;
  port?: number | undefined;
  user?: string | undefined;
  identityFile?: string | undefined;
  passphrase?: string | undefined;
  agent?: boolean | string | undefined;
  hostKey?: string | string[] | undefined;
  knownHosts?: string | undefined;
  insecureAcceptAnyHostKey?: true | undefined;
  connectTimeout?: string | undefined;
  keepaliveInterval?: string | undefined;
  keepaliveCountMax?: number | undefined;
  jump?: string | SshJumpOptions | undefined;
}

/**
 * A bastion: the name of another ssh target (the validator inlines it with `inlineSshJumps`) or the
 * same connection fields written in place. Jumps may chain.
 */
export const sshJumpSchema: z.ZodType<SshJumpOptions> = z.lazy(() =>
  z.strictObject({ ...connectionShape, host, jump: z.union([z.string().min(1), sshJumpSchema]).optional() }),
);

/** A member of a group: a host (or alias) alone, or with its own port, user or pinned key. */
export const sshGroupHostSchema = z.union([
  host,
  z.strictObject({ host, port: port.optional(), user: z.string().min(1).optional(), hostKey: sshHostKeySchema.optional() }),
]);

export const sshTargetSchema = z
  .strictObject({
    ...connectionShape,
    jump: z
      .union([z.string().min(1), sshJumpSchema])
      .describe('bastion: the name of another ssh target, or its connection fields in place')
      .optional(),
    hosts: z
      .array(sshGroupHostSchema)
      .min(1)
      .describe('a group: a step on this target runs on every host (instead of `host`)')
      .optional(),
    concurrency: z.number().int().min(1).max(1_000).describe('group: hosts at once (default 20)').optional(),
    success: sshSuccessRuleSchema.describe('group: all (default), any, atLeast:N or { atLeast: N }').optional(),
  })
  .superRefine((target, issues) => {
    if ((target.host === undefined) === (target.hosts === undefined)) {
      issues.addIssue({ code: 'custom', message: 'an ssh target needs exactly one of `host` (one host) or `hosts` (a group)', path: ['host'] });
    }
    if (target.insecureAcceptAnyHostKey && (target.hostKey !== undefined || target.knownHosts !== undefined)) {
      issues.addIssue({ code: 'custom', message: '`insecureAcceptAnyHostKey` cannot be combined with `hostKey` or `knownHosts`', path: ['insecureAcceptAnyHostKey'] });
    }
    if (target.hosts === undefined) {
      for (const key of ['concurrency', 'success'] as const) {
        if (target[key] !== undefined) issues.addIssue({ code: 'custom', message: `\`${key}\` only applies to a group (\`hosts\`)`, path: [key] });
      }
    } else {
      const needed = minimumPassing(target.success);
      if (needed !== undefined && needed > target.hosts.length) {
        issues.addIssue({
          code: 'custom',
          message: `success rule needs ${needed} passing hosts but the group has only ${target.hosts.length}`,
          path: ['success'],
        });
      }
    }
  });

export type SshTargetOptions = z.infer<typeof sshTargetSchema>;
export type SshSuccessRule = z.infer<typeof sshSuccessRuleSchema>;

/** Hosts that must pass under an `atLeast` rule; undefined for `all`/`any`. */
export function minimumPassing(rule: SshSuccessRule | undefined): number | undefined {
  if (rule === undefined || rule === 'all' || rule === 'any') return undefined;
  if (typeof rule === 'object') return rule.atLeast;
  return Number(rule.slice(rule.indexOf(':') + 1).trim());
}

/** Names of the secrets a target refers to (its own passphrase and its jump chain's). */
export function sshSecretRefs(options: SshTargetOptions | SshJumpOptions): string[] {
  const names: string[] = [];
  for (let hop: SshJumpOptions | undefined = options; hop; hop = typeof hop.jump === 'object' ? hop.jump : undefined) {
    if (hop.passphrase !== undefined) names.push(hop.passphrase);
  }
  return names;
}

export interface SshJumpProblem {
  target: string;
  message: string;
}

/**
 * Replace every `jump: <target name>` by that target's connection fields, so the runner receives a
 * self-contained target. Reports unknown names, non-ssh targets, groups used as bastions and cycles.
 */
export function inlineSshJumps(
  sshTargets: Readonly<Record<string, SshTargetOptions>>,
  otherTargetNames: readonly string[] = [],
): { targets: Record<string, SshTargetOptions>; problems: SshJumpProblem[] } {
  const problems: SshJumpProblem[] = [];
  const inline = (name: string, jump: string | SshJumpOptions | undefined, seen: readonly string[]): SshJumpOptions['jump'] => {
    if (typeof jump !== 'string') {
      return jump === undefined ? undefined : { ...jump, jump: inline(name, jump.jump, seen) };
    }
    if (seen.includes(jump)) {
      problems.push({ target: name, message: `jump hosts form a cycle: ${[...seen, jump].join(' → ')}` });
      return undefined;
    }
    const bastion = sshTargets[jump];
    if (!bastion) {
      const why = otherTargetNames.includes(jump) ? 'is not an ssh target' : 'is not a declared target';
      problems.push({ target: name, message: `jump \`${jump}\` ${why}` });
      return undefined;
    }
    if (bastion.hosts !== undefined) {
      problems.push({ target: name, message: `jump \`${jump}\` is a group; a bastion must be one host` });
      return undefined;
    }
    const { hosts: _hosts, concurrency: _concurrency, success: _success, ...connection } = bastion;
    return { ...connection, jump: inline(name, connection.jump, [...seen, jump]) };
  };
  const targets: Record<string, SshTargetOptions> = {};
  for (const [name, options] of Object.entries(sshTargets)) {
    const jump = inline(name, options.jump, [name]);
    const { jump: _jump, ...rest } = options;
    targets[name] = jump === undefined ? rest : { ...rest, jump };
  }
  return { targets, problems };
}
