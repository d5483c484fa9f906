/** The built-in runners, by the name a step gives in `uses`. Implementations load lazily. */
import type { RunnerCatalog } from '../src/runner-contract.js';
import { httpRunner } from './http/definition.js';
import { localRunner } from './local/definition.js';
import { waitRunner } from './wait/definition.js';

export const builtinRunners = {
  local: localRunner,
  http: httpRunner,
  wait: waitRunner,
} satisfies RunnerCatalog;

export type BuiltinRunnerName = keyof typeof builtinRunners;
