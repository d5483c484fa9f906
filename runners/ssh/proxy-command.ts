/**
 * A ProxyCommand as OpenSSH runs it (sshconnect.c `ssh_proxy_connect`): `$SHELL -c "exec COMMAND"`, the
 * SSH connection carried over its standard input and output. It runs in its own process group, which is
 * sent SIGHUP (as OpenSSH does) when the connection ends, and SIGKILL if it is still there shortly after.
 */
import { spawn } from 'node:child_process';
import { Duplex } from 'node:stream';
import type { ProxyCommand } from './resolve.js';

/** After SIGHUP, how long the proxy has before SIGKILL. */
const proxyKillGraceMs = 2_000;
const stderrKeptBytes = 4_096;

export interface RunningProxy {
  /** The connection, for ssh2's `sock`. */
  stream: Duplex;
  pid: number | undefined;
  /** Ends the proxy (idempotent). */
  stop(): void;
  /** Resolves once the proxy process has exited. */
  exited: Promise<void>;
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

export function startProxyCommand(proxy: ProxyCommand): RunningProxy {
  const child = spawn(proxy.shell, ['-c', proxy.line], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...proxy.env }, detached: true });
  let stderr = '';
  let stopping = false;
  let done = false;
  let markExited = (): void => {};
  const exited = new Promise<void>((resolve) => {
    markExited = resolve;
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-stderrKeptBytes);
  });
  const stop = (): void => {
    if (done || stopping || child.pid === undefined) return;
    stopping = true;
    signalGroup(child.pid, 'SIGHUP');
    const pid = child.pid;
    setTimeout(() => {
      if (!done) signalGroup(pid, 'SIGKILL');
    }, proxyKillGraceMs).unref();
  };

  const stream = new Duplex({
    read() {
      child.stdout.resume();
    },
    write(chunk: Buffer, _encoding, callback) {
      if (!child.stdin.writable) {
        callback(new Error(`the ProxyCommand (${proxy.origin}) no longer reads its input`));
        return;
      }
      child.stdin.write(chunk, (error) => callback(error ?? null));
    },
    final(callback) {
      child.stdin.end();
      callback();
    },
    destroy(error, callback) {
      stop();
      callback(error);
    },
  });
  child.stdin.on('error', () => {
    // EPIPE once the proxy has gone; its exit is reported below.
  });
  child.stdout.on('data', (chunk: Buffer) => {
    if (!stream.push(chunk)) child.stdout.pause();
  });
  child.once('error', (error) => {
    done = true;
    markExited();
    stream.destroy(new Error(`the ProxyCommand (${proxy.origin}) could not be started with ${proxy.shell}: ${error.message}`));
  });
  // 'close': exited and its output read to the end, so the connection's last bytes come before the verdict.
  child.once('close', (code, signal) => {
    done = true;
    markExited();
    if (stopping || stream.destroyed) return;
    if (code === 0) {
      stream.push(null);
      return;
    }
    const how = code === null ? `was ended by ${signal ?? 'a signal'}` : `exited with status ${code}`;
    const said = stderr.trim().split('\n').slice(-3).join(' | ');
    stream.destroy(new Error(`the ProxyCommand (${proxy.origin}) ${how}${said ? `: ${said}` : ''}`));
  });
  return { stream, pid: child.pid, stop, exited };
}
