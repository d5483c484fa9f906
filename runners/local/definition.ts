import { z } from 'zod';
import { defineRunner, durationOption } from '../../src/runner-contract.js';

export const localOptions = z.strictObject({
  /** Working folder, relative to the scenario file. */
  cwd: z.string().min(1).optional(),
  /** Environment variables the command gets on top of the step's environment (see `inheritEnv`). */
  env: z.record(z.string(), z.string()).optional(),
  /** Text written to the command's standard input. */
  input: z.string().optional(),
  /** Time between TERM and KILL when the step is stopped (default 5s). */
  killGrace: durationOption.optional(),
});

export type LocalOptions = z.output<typeof localOptions>;

export const localRunner = defineRunner({
  name: 'local',
  checks: true,
  summary: 'run an argument array on this machine (no shell)',
  options: localOptions,
  run: 'required',
  targetKinds: ['local'],
  expects: ['exitCode', 'stdout', 'stderr'],
  load: async () => (await import('./run.js')).createLocalRunner(),
});
