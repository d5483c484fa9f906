import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { isGroupGone } from '../../runners/local/process-group.js';
import { until } from './attempt-context.js';

const spawned: number[] = [];
afterEach(() => {
  for (const pgid of spawned.splice(0)) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

function childrenOf(ppid: number): { pid: number; state: string }[] {
  const found: { pid: number; state: string }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === ppid) found.push({ pid: Number(entry), state: fields[0] ?? '' });
    } catch {
      // exited meanwhile
    }
  }
  return found;
}

describe('isGroupGone', () => {
  it('counts a group holding only a zombie as gone, although kill(-pgid, 0) still succeeds', async () => {
    // The child makes its own group, exits, and stays a zombie: its parent (sleep) never reaps it.
    const parent = spawn('sh', ['-c', 'setsid sh -c "exit 0" & exec sleep 300'], { detached: true, stdio: 'ignore' });
    spawned.push(parent.pid!);
    await until(() => childrenOf(parent.pid!).some((child) => child.state === 'Z'));
    const zombie = childrenOf(parent.pid!)[0]!.pid;
    expect(() => process.kill(-zombie, 0)).not.toThrow();
    expect(isGroupGone(zombie)).toBe(true);
    expect(isGroupGone(parent.pid!)).toBe(false);
  });
});
