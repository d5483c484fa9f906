/** Resolve declared secrets from the environment or files, before anything runs. Values stay in memory. */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { SecretSource } from '../scenario/types.js';

export type SecretsResult = { ok: true; values: Record<string, string> } | { ok: false; problems: string[] };

export function resolveSecrets(
  declared: Readonly<Record<string, SecretSource>>,
  baseDir: string,
  env: NodeJS.ProcessEnv = process.env,
): SecretsResult {
  const values: Record<string, string> = {};
  const problems: string[] = [];
  for (const [name, source] of Object.entries(declared)) {
    if ('env' in source) {
      const value = env[source.env];
      if (value === undefined || value === '') problems.push(`secret ${name}: environment variable ${source.env} is not set`);
      else values[name] = value;
    } else {
      const path = resolve(baseDir, source.file);
      try {
        // A trailing newline is how editors save files; it is not part of the secret.
        values[name] = readFileSync(path, 'utf8').replace(/\r?\n$/, '');
      } catch (error) {
        problems.push(`secret ${name}: cannot read ${source.file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
      }
    }
  }
  return problems.length ? { ok: false, problems } : { ok: true, values };
}
