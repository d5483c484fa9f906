/** A real AttemptContext for runner tests: real clock, memory sinks, a simple judge, recorded calls. */
import { readFileSync, readdirSync } from 'node:fs';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { baseEnvironment } from '../../src/engine/step-environment.js';
import type { AttemptClock, AttemptContext, Judgement, Observation, ProcessInfo } from '../../src/runner-contract.js';

export const realClock: AttemptClock = {
  now: () => performance.now(),
  sleep: async (ms, signal) => {
    await sleep(ms, undefined, { signal });
  },
};

/** exitCode 0 for commands, a 2xx status for HTTP; any error fails. */
export function defaultJudge(observation: Observation): Judgement {
  if (observation.error) return { ok: false, reason: 'error', message: observation.error.message };
  if (observation.status !== undefined) return { ok: observation.status >= 200 && observation.status < 300, reason: 'expectation' };
  return { ok: observation.exitCode === 0, reason: 'expectation' };
}

export class MemorySink extends Writable {
  readonly chunks: Buffer[] = [];
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.chunks.push(Buffer.from(chunk));
    callback();
  }
  bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

export interface TestAttempt {
  ctx: AttemptContext;
  controller: AbortController;
  processes: ProcessInfo[];
  judged: Observation[];
  stdout: MemorySink;
  stderr: MemorySink;
}

export type TestAttemptOptions = Partial<Pick<AttemptContext, 'argv' | 'options' | 'target' | 'baseDir' | 'env' | 'captureLimitBytes' | 'clock'>> & {
  judge?: (observation: Observation) => Judgement;
};

export function createTestAttempt(overrides: TestAttemptOptions = {}): TestAttempt {
  const controller = new AbortController();
  const processes: ProcessInfo[] = [];
  const judged: Observation[] = [];
  const stdout = new MemorySink();
  const stderr = new MemorySink();
  const judge = overrides.judge ?? defaultJudge;
  const ctx: AttemptContext = {
    stepId: 'step',
    attempt: 1,
    options: overrides.options ?? {},
    baseDir: overrides.baseDir ?? process.cwd(),
    env: overrides.env ?? Object.fromEntries(baseEnvironment.flatMap((name) => (process.env[name] === undefined ? [] : [[name, process.env[name]]]))),
    signal: controller.signal,
    sink: { stdout, stderr },
    captureLimitBytes: overrides.captureLimitBytes ?? 64 * 1024,
    clock: overrides.clock ?? realClock,
    judge: (observation) => {
      judged.push(observation);
      return judge(observation);
    },
    onProcess: (info) => {
      processes.push(info);
    },
    log: pino({ level: 'silent' }),
    ...(overrides.argv === undefined ? {} : { argv: overrides.argv }),
    ...(overrides.target === undefined ? {} : { target: overrides.target }),
  };
  return { ctx, controller, processes, judged, stdout, stderr };
}

/** Live (non-zombie) pids in process group `pgid`, read from /proc independently of the runner's code. */
export function livePidsInGroup(pgid: number): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) === pgid && fields[0] !== 'Z') pids.push(Number(entry));
  }
  return pids;
}

/** Field 22 of /proc/<pid>/stat. */
export function startTimeOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** Poll `check` every 10 ms until it holds or `limitMs` passes. */
export async function until(check: () => boolean, limitMs = 5_000): Promise<void> {
  const startedAt = Date.now();
  while (!check()) {
    if (Date.now() - startedAt > limitMs) throw new Error(`condition not met within ${limitMs} ms`);
    await sleep(10);
  }
}
