/**
 * Routes from the ssh config against the lab: a ProxyCommand (a small Node relay that logs what it
 * carried), a host defined in an Include'd file, and the route `drillbook check` prints for each host.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createSshPool } from '../../../runners/ssh/pool.js';
import { checkSshTargets } from '../../../runners/ssh/preflight.js';
import { createSshRunner } from '../../../runners/ssh/run.js';
import { labHost } from '../../lab/lab.js';
import { useSshLab } from '../../lab/use-ssh-lab.js';
import { until } from '../attempt-context.js';
import { sshAttempt, sshTarget } from './support.js';

const lab = useSshLab();
const scratch = mkdtempSync(join(tmpdir(), 'drillbook-routes-'));
const home = join(scratch, 'home');
mkdirSync(join(home, '.ssh'), { recursive: true });
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const relay = join(scratch, 'relay.mjs');
writeFileSync(
  relay,
  `import { appendFileSync } from 'node:fs';
import { connect } from 'node:net';
const [host, port, log] = process.argv.slice(2);
let up = 0;
let down = 0;
const socket = connect(Number(port), host, () => {
  appendFileSync(log, \`open \${process.pid} \${host} \${port} \${socket.localPort}\\n\`);
  process.stdin.on('data', (chunk) => { up += chunk.length; socket.write(chunk); });
  process.stdin.on('end', () => socket.end());
  socket.on('data', (chunk) => { down += chunk.length; process.stdout.write(chunk); });
});
socket.on('error', (error) => { process.stderr.write(\`relay: \${error.message}\\n\`); process.exit(1); });
socket.on('close', () => { appendFileSync(log, \`closed \${process.pid} up \${up} down \${down}\\n\`); process.exit(0); });
`,
);

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

function writeConfig(name: string, lines: string[]): string {
  const file = join(scratch, name);
  const common = [`  User ${lab().user}`, `  IdentityFile ${lab().clientKey}`, '  IdentitiesOnly yes', `  UserKnownHostsFile ${lab().knownHosts}`];
  writeFileSync(file, [...lines, 'Host *', ...common, ''].join('\n'));
  return file;
}

const settingsFor = (config: string) => ({ sshConfigFile: config, env: { HOME: home, USER: 'drillbook-test', PATH: process.env['PATH'] ?? '/usr/bin:/bin' } });

describe('ProxyCommand', () => {
  it('carries the connection over the command\'s stdin/stdout, with %h %p expanded, and ends it with the connection', async () => {
    const log = join(scratch, 'relay.log');
    const config = writeConfig('proxied', ['Host proxied', '  HostName 127.0.0.1', `  Port ${lab().loopback.port}`, `  ProxyCommand ${process.execPath} ${relay} %h %p ${log}`]);
    const pool = createSshPool();
    const runner = createSshRunner(settingsFor(config), { pool });
    const observation = await runner.run(sshAttempt({ argv: ['sh', '-c', 'echo "$SSH_CONNECTION"'], target: sshTarget('db', { host: 'proxied' }) }).ctx);
    expect(observation.error).toBeUndefined();
    expect(observation.exitCode).toBe(0);
    const [opened] = readFileSync(log, 'utf8').split('\n');
    const [, pid, host, port, localPort] = (opened ?? '').split(' ');
    expect([host, port]).toEqual(['127.0.0.1', String(lab().loopback.port)]);
    // sshd saw the connection come from the relay's own socket: the traffic went through the proxy.
    expect(observation.stdout?.text.split(' ').slice(0, 2)).toEqual(['127.0.0.1', localPort]);
    expect(alive(Number(pid))).toBe(true);
    await pool.close();
    await until(() => !alive(Number(pid)), 5_000);
    expect(readFileSync(log, 'utf8')).toMatch(new RegExp(`closed ${pid} up [1-9]\\d* down [1-9]\\d*`));
  });

  it('reports a proxy that fails with its exit status and what it said on stderr', async () => {
    const config = writeConfig('broken', ['Host broken', '  HostName 127.0.0.1', '  Port 1', `  ProxyCommand ${process.execPath} ${relay} %h %p ${join(scratch, 'broken.log')}`]);
    const pool = createSshPool();
    try {
      const observation = await createSshRunner(settingsFor(config), { pool }).run(sshAttempt({ argv: ['true'], target: sshTarget('db', { host: 'broken' }) }).ctx);
      expect(observation.error).toEqual({
        code: 'CONNECT_FAILED',
        message: `cannot connect to broken (127.0.0.1:1 via ProxyCommand): the ProxyCommand (${config} line 4) exited with status 1: relay: connect ECONNREFUSED 127.0.0.1:1`,
      });
    } finally {
      await pool.close();
    }
  });
});

describe('hosts from Include\'d files', () => {
  it('resolves and connects to a host defined only in an included file (relative to ~/.ssh)', async () => {
    writeFileSync(join(home, '.ssh', 'lab.conf'), `Host included-lab\n  HostName 127.0.0.1\n  Port ${lab().loopback.port}\n`, { mode: 0o644 });
    const config = writeConfig('including', ['Include lab.conf']);
    const pool = createSshPool();
    try {
      const observation = await createSshRunner(settingsFor(config), { pool }).run(sshAttempt({ argv: ['whoami'], target: sshTarget('db', { host: 'included-lab' }) }).ctx);
      expect(observation.error).toBeUndefined();
      expect(observation.stdout?.text).toBe(`${lab().user}\n`);
      expect(observation.details).toMatchObject({ address: `127.0.0.1:${lab().loopback.port}`, user: lab().user });
    } finally {
      await pool.close();
    }
  });
});

describe('the route the readiness check reports', () => {
  it('names a direct host, a ProxyJump chain and a proxy command with its tokens expanded', async () => {
    const [h1, h2] = [labHost(lab(), 'h1'), labHost(lab(), 'h2')];
    const log = join(scratch, 'check.log');
    const config = writeConfig('routes', [
      'Host direct',
      `  HostName ${h1.address}`,
      'Host chained',
      `  HostName ${h2.address}`,
      `  ProxyJump ${h1.address}`,
      'Host proxied',
      `  HostName ${h2.address}`,
      `  ProxyCommand ${process.execPath} ${relay} %h %p ${log}`,
    ]);
    const targets = Object.fromEntries(['direct', 'chained', 'proxied'].map((name) => [name, sshTarget(name, { host: name })]));
    const result = await checkSshTargets(targets, {}, { baseDir: scratch, settings: settingsFor(config) });
    expect(result.targets.map((t) => [t.target, t.ok, t.hosts[0]?.route])).toEqual([
      ['direct', true, `direct to direct (${h1.address}:22)`],
      ['chained', true, `${h1.address} (${h1.address}:22) → chained (${h2.address}:22)`],
      ['proxied', true, `ProxyCommand "exec ${process.execPath} ${relay} ${h2.address} 22 ${log}" (${config} line 8) → proxied (${h2.address}:22)`],
    ]);
    expect(readFileSync(log, 'utf8')).toContain(`${h2.address} 22`);
  });
});
