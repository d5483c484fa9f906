/**
 * The SSH lab for a test file: the run-wide one from global-setup.ts when the config registers it,
 * otherwise one started for this file (before its tests, removed after them).
 */
import { afterAll, beforeAll, inject } from 'vitest';
import { startSshLab, stopSshLab, type SshLabFacts } from './lab.js';

export function useSshLab(): () => SshLabFacts {
  let lab: SshLabFacts | undefined = inject('sshLab');
  let own = false;
  beforeAll(async () => {
    if (lab) return;
    lab = await startSshLab();
    own = true;
  });
  afterAll(async () => {
    if (own && lab) await stopSshLab(lab);
  });
  return () => {
    if (!lab) throw new Error('the SSH lab is not running');
    return lab;
  };
}
