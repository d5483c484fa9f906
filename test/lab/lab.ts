/** Starting and stopping the SSH lab (scripts/lab/ssh-lab.sh) from TypeScript: tests, benches, demo. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

export interface SshLabServer {
  address: string;
  port: number;
  /** SHA256: fingerprint of its host key. */
  hostKey: string;
  pidFile: string;
  log: string;
}

export interface SshLabHost extends SshLabServer {
  name: string;
  netns: string;
}

/** Connection facts of a running lab (its lab.json). Plain data: it crosses from globalSetup to tests. */
export interface SshLabFacts {
  dir: string;
  id: string;
  user: string;
  home: string;
  clientKey: string;
  encryptedClientKey: string;
  passphraseFile: string;
  knownHosts: string;
  hashedKnownHosts: string;
  sshConfig: string;
  subnet: string;
  loopback: SshLabServer;
  hosts: SshLabHost[];
}

const script = fileURLToPath(new URL('../../scripts/lab/ssh-lab.sh', import.meta.url));

/** Start a lab owned by this process; labs of processes that died before their teardown are removed first. */
export async function startSshLab(options: { hosts?: number } = {}): Promise<SshLabFacts> {
  await execa(script, ['sweep'], { reject: false, stdio: 'inherit' });
  const { stdout } = await execa(script, ['up', '--hosts', String(options.hosts ?? 3), '--owner', String(process.pid)], { stderr: 'inherit' });
  return JSON.parse(readFileSync(stdout.trim().split('\n').at(-1) ?? '', 'utf8')) as SshLabFacts;
}

/** Removes everything the lab made. Idempotent; never throws (a teardown must not hide a test failure). */
export async function stopSshLab(lab: Pick<SshLabFacts, 'dir'>): Promise<void> {
  await execa(script, ['down', lab.dir], { reject: false, stdio: 'inherit' });
}

/** Take a namespace host's link down (`up: false`) or back up. */
export async function setLabLink(lab: Pick<SshLabFacts, 'dir'>, host: string, up: boolean): Promise<void> {
  await execa(script, [up ? 'heal' : 'cut', lab.dir, host]);
}

export function labHost(lab: SshLabFacts, name: string): SshLabHost {
  const host = lab.hosts.find((candidate) => candidate.name === name);
  if (!host) throw new Error(`the lab has no host ${name}`);
  return host;
}
