import { z } from 'zod';
import type { RunnerDefinition } from '../../src/runner-contract.js';
import { durationOption } from '../option-types.js';

export const waitOptions = z.strictObject({
  duration: durationOption,
});

export const waitRunner: RunnerDefinition = {
  name: 'wait',
  summary: 'pause for a fixed duration (recorded like any step)',
  options: waitOptions,
  run: 'forbidden',
  targetKinds: [],
  expects: [],
  load: async () => (await import('./run.js')).createWaitRunner(),
};
