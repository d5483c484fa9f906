/**
 * psql as the canary's SQL client: one long-lived session for the writer (a marker is one INSERT, no
 * process start per marker) and one-shot queries for the reader. Arguments are an array, the password
 * travels in the environment, and every statement's outcome is read back from psql's `:ERROR` variable.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { CanaryPostgresOptions } from '../definition.js';

export interface PsqlConnection {
  program: string;
  args: string[];
  env: NodeJS.ProcessEnv;
}

const stderrKeepBytes = 2_048;

/** `env`: the step's environment (not drillbook's); the password is added to it, for psql alone. */
export function psqlConnection(options: CanaryPostgresOptions, password: string | undefined, env: Readonly<Record<string, string>>): PsqlConnection {
  return {
    program: options.psql ?? 'psql',
    args: ['-X', '-q', '-A', '-t', '-h', options.host, ...(options.port === undefined ? [] : ['-p', String(options.port)]), '-U', options.user, '-d', options.database],
    env: {
      ...env,
      ...(password === undefined ? {} : { PGPASSWORD: password }),
      PGCONNECT_TIMEOUT: '5',
      PGAPPNAME: 'drillbook-canary',
    },
  };
}

/** The last meaningful line psql wrote to stderr (its error message). */
function lastLine(text: string): string {
  return (
    text
      .split('\n')
      .map((line) => line.trim())
      .filter(Boolean)
      .at(-1) ?? ''
  );
}

/** A psql process reading statements from stdin. It ends when its stdin does (also if drillbook dies). */
export class PsqlSession {
  readonly #child: ChildProcessWithoutNullStreams;
  #stderr = '';
  #exit: Error | undefined;
  #waiters = new Map<string, { resolve: (line: string) => void; reject: (error: Error) => void }>();

  constructor(connection: PsqlConnection) {
    this.#child = spawn(connection.program, [...connection.args, '-v', 'ON_ERROR_STOP=0'], { env: connection.env, stdio: 'pipe', detached: true });
    createInterface({ input: this.#child.stdout }).on('line', (line) => {
      const tag = /^ack (\S+) /.exec(line)?.[1];
      const waiter = tag === undefined ? undefined : this.#waiters.get(tag);
      if (tag !== undefined && waiter) {
        this.#waiters.delete(tag);
        waiter.resolve(line);
      }
    });
    this.#child.stderr.on('data', (chunk: Buffer) => {
      this.#stderr = (this.#stderr + chunk.toString('utf8')).slice(-stderrKeepBytes);
    });
    const fail = (error: Error): void => {
      this.#exit ??= error;
      for (const waiter of this.#waiters.values()) waiter.reject(this.#exit);
      this.#waiters.clear();
    };
    this.#child.on('error', (error) => fail(new Error(`cannot run ${connection.program}: ${(error as NodeJS.ErrnoException).code ?? error.message}`)));
    this.#child.on('exit', (code, signal) => fail(new Error(`psql ended (${signal ?? `exit ${code ?? '?'}`})${lastLine(this.#stderr) ? `: ${lastLine(this.#stderr)}` : ''}`)));
    // A write after psql is gone surfaces as the exit above, not as an uncaught EPIPE.
    this.#child.stdin.on('error', () => undefined);
  }

  get alive(): boolean {
    return this.#exit === undefined;
  }

  /** Run one statement; resolves once psql has executed it, rejects with psql's error. */
  run(sql: string, tag: string, signal: AbortSignal): Promise<void> {
    if (this.#exit) return Promise.reject(this.#exit);
    const before = this.#stderr.length;
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        this.#waiters.delete(tag);
        reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.#waiters.set(tag, {
        resolve: (line) => {
          signal.removeEventListener('abort', onAbort);
          if (line.endsWith(' false')) resolve();
          else reject(new Error(lastLine(this.#stderr.slice(before)) || 'the statement failed'));
        },
        reject: (error) => {
          signal.removeEventListener('abort', onAbort);
          reject(error);
        },
      });
      this.#child.stdin.write(`${sql}\n\\echo ack ${tag} :ERROR\n`);
    });
  }

  /** End the session: stdin closed, then KILL if psql has not gone within `graceMs`. */
  async close(graceMs = 2_000): Promise<void> {
    if (this.#exit) return;
    const gone = new Promise<void>((resolve) => this.#child.once('exit', () => resolve()));
    this.#child.stdin.end();
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), graceMs);
    await gone;
    clearTimeout(timer);
  }
}

/** One query, its unaligned tuples-only output; rejects with psql's error message. */
export function psqlQuery(connection: PsqlConnection, sql: string, signal: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(connection.program, [...connection.args, '-v', 'ON_ERROR_STOP=1', '-c', sql], { env: connection.env, stdio: ['ignore', 'pipe', 'pipe'], signal, detached: true });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString('utf8')).slice(-stderrKeepBytes)));
    child.on('error', (error) => reject(new Error(`cannot run ${connection.program}: ${(error as NodeJS.ErrnoException).code ?? error.message}`)));
    child.on('close', (code) => {
      if (code === 0) resolve(stdout);
      else reject(new Error(lastLine(stderr) || `psql exited with ${code ?? 'a signal'}`));
    });
  });
}
