/**
 * Who may approve (a run, or a step `uses: approval`): approver public key files, roles a trust file maps to
 * keys, or both. The quorum counts distinct keys among all of them.
 */
import { z } from 'zod';

export const rolePattern = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;

const file = z.string().min(1, 'expected a file name');

export const approversSchema = z
  .strictObject({
    /** Ed25519 public key files (PEM), relative to the scenario file. */
    keys: z.array(file).min(1).optional(),
    /** Roles whose keys may approve, as the `trust` file maps them (`roles: { dba: [alice.pub] }`). */
    roles: z
      .array(z.string().regex(rolePattern, 'expected a role name: lowercase letters, digits and single dashes'))
      .min(1)
      .refine((roles) => new Set(roles).size === roles.length, 'each role once')
      .optional(),
    /** The file that says which keys hold which role, relative to the scenario file. */
    trust: file.optional(),
  })
  .refine((a) => a.keys !== undefined || a.roles !== undefined, { message: 'name the approvers: keys, roles, or both' })
  .refine((a) => a.roles === undefined || a.trust !== undefined, { message: 'roles need a trust file that maps each role to keys', path: ['trust'] })
  .refine((a) => a.trust === undefined || a.roles !== undefined, { message: 'a trust file without roles names no one', path: ['roles'] });

export type ApproversOptions = z.output<typeof approversSchema>;

/** Who may approve, as the run loads it: key files and roles, both relative to the scenario folder. */
export interface Approvers {
  keys: string[];
  roles: string[];
  trust?: string;
}

export function normalizeApprovers(options: ApproversOptions): Approvers {
  return { keys: options.keys ?? [], roles: options.roles ?? [], ...(options.trust !== undefined ? { trust: options.trust } : {}) };
}

/** Whether a quorum can be judged now: with roles, the number of keys is known only once the trust file is read. */
export function quorumTooLarge(approvers: ApproversOptions, quorum: number): boolean {
  return approvers.roles === undefined && quorum > (approvers.keys?.length ?? 0);
}

/** "2 of alice.pub, role dba (trust.yaml)": who may approve, as plans and runbooks say it. */
export function describeApprovers(approvers: Approvers, quorum: number): string {
  const who = [...approvers.keys, ...approvers.roles.map((role) => `role ${role}`)];
  return `${quorum} of ${who.join(', ')}${approvers.trust ? ` (roles as ${approvers.trust} maps them)` : ''}`;
}
