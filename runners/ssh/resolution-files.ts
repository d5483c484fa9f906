/** Every OpenSSH client config file a run's target resolution reads: the config and all it includes. */
import { homedir } from 'node:os';
import type { RunnerSettings } from '../../src/runner-contract.js';
import { readConfigTree, type ConfigFile } from './ssh-config-files.js';

export async function sshResolutionFiles(settings: RunnerSettings): Promise<string[]> {
  const file = settings.sshConfigFile;
  if (file === false || file === undefined) return [];
  const home = settings.env?.['HOME'] ?? homedir();
  const root = await readConfigTree(file, { home, count: { files: 0 } }, { depth: 0, checked: false }).catch(() => undefined);
  const files: string[] = [];
  const walk = (config: ConfigFile): void => {
    files.push(config.path);
    for (const line of config.lines) for (const included of line.included ?? []) walk(included);
  };
  if (root) walk(root);
  return [...new Set(files)];
}
