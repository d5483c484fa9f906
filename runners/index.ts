/** The built-in runners, by the name a step gives in `uses`. Implementations load lazily. */
import type { RunnerCatalog } from '../src/runner-contract.js';
import { approvalRunner } from './approval/definition.js';
import { canaryReadRunner, canaryWriteRunner } from './canary/definition.js';
import { httpRunner } from './http/definition.js';
import { localRunner } from './local/definition.js';
import { manualRunner } from './manual/definition.js';
import { s3ExportRunner, s3GetRunner, s3ImportRunner, s3LatestRunner, s3PutRunner, s3VerifyRunner } from './s3/definition.js';
import { sshDumpRunner, sshGetRunner, sshPutRunner, sshRunner } from './ssh/definition.js';
import { waitRunner } from './wait/definition.js';

export const builtinRunners = {
  local: localRunner,
  http: httpRunner,
  wait: waitRunner,
  manual: manualRunner,
  approval: approvalRunner,
  ssh: sshRunner,
  'ssh.put': sshPutRunner,
  'ssh.get': sshGetRunner,
  'ssh.dump': sshDumpRunner,
  's3.latest': s3LatestRunner,
  's3.get': s3GetRunner,
  's3.put': s3PutRunner,
  's3.verify': s3VerifyRunner,
  's3.export': s3ExportRunner,
  's3.import': s3ImportRunner,
  'canary.write': canaryWriteRunner,
  'canary.read': canaryReadRunner,
} satisfies RunnerCatalog;

export type BuiltinRunnerName = keyof typeof builtinRunners;
