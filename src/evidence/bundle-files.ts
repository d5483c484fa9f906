/** The layout of an evidence bundle: which files are subjects of the Statement and which are not. */
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';

/** Where each part of a bundle lives: the one table of the layout. */
export const bundleLayout = {
  /** The scenario exactly as run. */
  scenario: 'scenario.yaml',
  journal: 'journal.jsonl',
  /** Diagnostics (pino JSON lines). */
  log: 'drillbook.log',
  /** `logs/<step>/<attempt>.stdout.log`, `.stderr.log`. */
  logs: 'logs',
  /** `attachments/<step>/<attempt>/<name>`. */
  attachments: 'attachments',
  /** `answers/<step>/<attempt>.request.json` and `.answer.json`: manual steps' questions and answers. */
  answers: 'answers',
  /** `approvals/request.json` and `approvals/<keyid>.dsse.json`: what the run waited for before its steps. */
  approvals: 'approvals',
  // The Statement cannot cover these three: they hold or sign the Statement itself.
  record: 'record.json',
  envelope: 'record.dsse.json',
  signatures: 'signatures',
  junit: 'junit.xml',
  report: 'report.html',
} as const;

/** Names that sha256sum would escape or that are unsafe as paths: control characters and backslashes. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const unsafeName = /[\u0000-\u001f\u007f\\]/;

/** A sign-off file name: `signatures/<keyid>.dsse.json`; group 1 is the key id. */
export const signOffFile = /^signatures\/([0-9a-f]{64})\.dsse\.json$/;

export interface BundleListing {
  /** Bundle-relative POSIX paths of regular files, sorted, including record, envelope and signatures. */
  files: string[];
  /** Entries that are not plain files or have unsafe names (each is a reason the bundle cannot be trusted). */
  problems: string[];
}

/** List every file under `dir` (recursively), without following links. */
export async function listBundleFiles(dir: string): Promise<BundleListing> {
  const files: string[] = [];
  const problems: string[] = [];
  const walk = async (relative: string): Promise<void> => {
    const entries = await readdir(relative ? join(dir, relative) : dir, { withFileTypes: true });
    for (const entry of entries) {
      const name = relative ? `${relative}/${entry.name}` : entry.name;
      if (unsafeName.test(entry.name)) {
        problems.push(`${JSON.stringify(name)}: file name has control characters or a backslash`);
      } else if (entry.isDirectory()) {
        await walk(name);
      } else if (entry.isFile()) {
        files.push(name);
      } else {
        const stat = await lstat(join(dir, name));
        problems.push(`${name}: not a regular file (${stat.isSymbolicLink() ? 'symbolic link' : 'special file'})`);
      }
    }
  };
  await walk('');
  files.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return { files, problems };
}

/** True for files the Statement must list: everything except the record, its envelope and `signatures/`. */
export function isSubjectFile(name: string): boolean {
  return name !== bundleLayout.record && name !== bundleLayout.envelope && !name.startsWith(`${bundleLayout.signatures}/`);
}

/** True when `name` is a safe bundle-relative POSIX path (no absolute path, no `..`, no empty segment). */
export function isSafeSubjectName(name: string): boolean {
  if (name === '' || name.startsWith('/') || unsafeName.test(name)) return false;
  return name.split('/').every((segment) => segment !== '' && segment !== '.' && segment !== '..');
}
