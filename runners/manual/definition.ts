import { z } from 'zod';
import { defineRunner } from '../../src/runner-contract.js';

const inputName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_-]{0,63}$/, 'expected a name: a letter or _, then letters, digits, _ or -');

export const manualOptions = z.strictObject({
  /** What the person does, in Markdown, shown as written. */
  instructions: z.string().trim().min(1, 'say what the person does'),
  /** Checklist items the person confirms, each of them, to pass the step. */
  confirm: z.array(z.string().trim().min(1)).default([]),
  /** Who is expected to answer: a name or a role. */
  assignee: z.string().trim().min(1).optional(),
  /** Values the person records (a ticket number), all required to pass; the step's stdout JSON has them under /inputs. */
  record: z
    .array(inputName)
    .default([])
    .refine((names) => new Set(names).size === names.length, 'each name once'),
});

export type ManualOptions = z.output<typeof manualOptions>;

export const manualRunner = defineRunner({
  name: 'manual',
  checks: true,
  summary: 'a person carries out instructions and answers pass or fail (on the terminal, or with `drillbook answer` from elsewhere)',
  options: manualOptions,
  run: 'forbidden',
  repeatable: true,
  targetKinds: [],
  expects: [],
  load: async () => (await import('./run.js')).createManualRunner(),
});
