import { z } from 'zod';
import { approversSchema, defineRunner, normalizeApprovers, quorumTooLarge } from '../../src/runner-contract.js';

export const approvalOptions = z
  .strictObject({
    /** Who may approve: `keys` (public key files), `roles` as the `trust` file maps them, or both. */
    approvers: approversSchema,
    /** Distinct approver keys needed (default 1). */
    quorum: z.int().min(1).default(1),
  })
  .refine((o) => !quorumTooLarge(o.approvers, o.quorum), { message: 'quorum is larger than the number of approver keys', path: ['quorum'] });

export type ApprovalOptions = z.output<typeof approvalOptions>;

export const approvalRunner = defineRunner({
  name: 'approval',
  summary: 'waits until the quorum of approvers signed this step (`drillbook approve BUNDLE --step STEP --key K`); the step timeout is how long',
  options: approvalOptions,
  run: 'forbidden',
  repeatable: true,
  targetKinds: [],
  expects: [],
  gate: (options) => ({ ...normalizeApprovers(options.approvers), quorum: options.quorum }),
  load: async () => (await import('./run.js')).createApprovalRunner(),
});
