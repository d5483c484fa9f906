/**
 * vitest globalSetup: one SSH lab for the whole test run, torn down at the end (also after failures).
 * Tests read its facts with `inject('sshLab')` (see use-ssh-lab.ts). When the run is filtered to files
 * that do not use it, nothing starts.
 */
import type { TestProject } from 'vitest/node';
import { startSshLab, stopSshLab, type SshLabFacts } from './lab.js';

declare module 'vitest' {
  export interface ProvidedContext {
    sshLab: SshLabFacts;
  }
}

/** Test folders whose files use the SSH lab. */
export const sshLabTestFolders = ['test/runners/ssh/', 'test/scenarios/', 'test/cli/'] as const;

async function sshTestsSelected(project: TestProject): Promise<boolean> {
  // Not part of vitest's typed API: without it (or without filters) every file may run, so start.
  const filters = (project.vitest as unknown as { filenamePattern?: string[] }).filenamePattern;
  if (!filters?.length) return true;
  const specs = await project.vitest.globTestSpecifications(filters);
  return specs.some((spec) => sshLabTestFolders.some((folder) => spec.moduleId.replaceAll('\\', '/').includes(`/${folder}`)));
}

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  if (!(await sshTestsSelected(project))) return undefined;
  const lab = await startSshLab();
  project.provide('sshLab', lab);
  return async () => {
    await stopSshLab(lab);
  };
}
