import { z } from 'zod';
import { defineRunner, durationOption } from '../../src/runner-contract.js';

export const waitOptions = z.strictObject({
  duration: durationOption,
});

export type WaitOptions = z.output<typeof waitOptions>;

export const waitRunner = defineRunner({
  name: 'wait',
  summary: 'pause for a fixed duration (recorded like any step)',
  options: waitOptions,
  run: 'forbidden',
  repeatable: true,
  targetKinds: [],
  expects: [],
  load: async () => (await import('./run.js')).createWaitRunner(),
});
