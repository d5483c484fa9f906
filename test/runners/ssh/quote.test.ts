import { execFileSync, spawnSync } from 'node:child_process';
import { rmdirSync } from 'node:fs';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { isSshError } from '../../../runners/ssh/errors.js';
import { quoteArgv, quoteForShell } from '../../../runners/ssh/quote.js';
import { buildRemoteCommand, parseMarker } from '../../../runners/ssh/remote-command.js';
import { createSshRunner } from '../../../runners/ssh/run.js';
import { useSshLab } from '../../lab/use-ssh-lab.js';
import { labSettings, loopbackOptions, sshAttempt, sshTarget } from './support.js';

/** Characters a shell treats specially, densely, plus anything Unicode has (no NUL, no lone surrogates). */
const nasty = fc.constantFrom(...`'"\`$\\!*?[]{}();&|<>~#=% \t\n\r-.,:@^`.split(''));
const argument = fc.oneof(
  fc.string({ unit: fc.oneof(nasty, fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })), maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 60 }),
  fc.uint8Array({ minLength: 0, maxLength: 40 }).map((bytes) => String.fromCharCode(...bytes)),
).filter((text) => !text.includes('\0'));

/** Each argument followed by NUL: printf output split on NUL gives the arguments back, empty ones too. */
function echoArgv(args: readonly string[]): string[] {
  return ['printf', '%s\\0', ...args];
}

function splitNul(bytes: Buffer, count: number): Buffer[] {
  const parts: Buffer[] = [];
  let start = 0;
  for (let i = 0; i < count; i++) {
    const end = bytes.indexOf(0, start);
    parts.push(bytes.subarray(start, end));
    start = end + 1;
  }
  return parts;
}

describe('quoteForShell', () => {
  it('leaves plain words alone and single-quotes the rest', () => {
    expect(quoteForShell('pg_ctl')).toBe('pg_ctl');
    expect(quoteForShell('/var/lib/x-1.2:3')).toBe('/var/lib/x-1.2:3');
    expect(quoteForShell('')).toBe("''");
    expect(quoteForShell('a b')).toBe("'a b'");
    expect(quoteForShell("it's")).toBe(`'it'\\''s'`);
    expect(quoteForShell('$(reboot)')).toBe("'$(reboot)'");
  });

  it('refuses NUL and lone surrogates without echoing the value', () => {
    for (const bad of ['top\0secret', 'x\ud800y']) {
      let caught: unknown;
      try {
        quoteArgv(['echo', bad]);
      } catch (error) {
        caught = error;
      }
      expect(isSshError(caught)).toBe(true);
      const { code, message } = caught as { code: string; message: string };
      expect(code).toBe('INVALID_ARGUMENT');
      expect(message).toMatch(/^argument 1 of the command contains a (NUL byte \(at offset 3\)|lone UTF-16 surrogate)/);
      expect(message).not.toContain('secret');
    }
  });

  it('survives the local /bin/sh byte for byte (property)', () => {
    fc.assert(
      fc.property(fc.array(argument, { maxLength: 4 }), (args) => {
        const out = execFileSync('/bin/sh', ['-c', quoteArgv(echoArgv(args))]);
        expect(splitNul(out, args.length)).toEqual(args.map((arg) => Buffer.from(arg, 'utf8')));
      }),
      { numRuns: 200 },
    );
  });
});

describe('the remote command line', () => {
  it('reports pid, group, session and start time in a marker line that parses back, and exports the run token', () => {
    const token = '0123456789abcdef0123456789abcdef';
    const line = buildRemoteCommand(['sh', '-c', 'printf %s "$DRILLBOOK_RUN_TOKEN"'], { sudo: false, nonce: 'abcdef0123456789', token });
    // setsid: a session of its own, as sshd gives every command.
    const { stderr, stdout } = spawnSync('setsid', ['-w', '/bin/sh', '-c', line], { encoding: 'utf8' });
    const marker = parseMarker(String(stderr).trim(), 'abcdef0123456789');
    try {
      expect(stdout).toBe(token);
      expect(marker?.pid).toBeGreaterThan(1);
      expect(marker?.pgid).toBe(marker?.pid);
      expect(marker?.sid).toBe(marker?.pid);
      expect(marker?.startTime).toMatch(/^\d+$/);
      // Root on a cgroup v2 host: the wrapper moved itself into a cgroup of its own.
      if (marker?.cgroup !== undefined) expect(marker.cgroup).toMatch(new RegExp(`/drillbook-${token}$`));
      expect(parseMarker(String(stderr).trim(), 'ffffffffffffffff')).toBeUndefined();
    } finally {
      if (marker?.cgroup) rmdirSync(marker.cgroup);
    }
  });

  it('parses markers without the newer fields, and a cgroup path with spaces', () => {
    expect(parseMarker('drillbook:abcdef0123456789 4242 4242 987', 'abcdef0123456789')).toEqual({ pid: 4242, pgid: 4242, startTime: '987' });
    expect(parseMarker('drillbook:abcdef0123456789 4242 4242 - - -', 'abcdef0123456789')).toEqual({ pid: 4242, pgid: 4242 });
    expect(parseMarker('drillbook:abcdef0123456789 4242 4242 987 4242 /sys/fs/cgroup/a b/drillbook-x', 'abcdef0123456789')).toEqual({
      pid: 4242,
      pgid: 4242,
      sid: 4242,
      startTime: '987',
      cgroup: '/sys/fs/cgroup/a b/drillbook-x',
    });
  });
});

describe('quoting through the real sshd', () => {
  const lab = useSshLab();
  const runner = createSshRunner({ sshConfigFile: false });
  afterAll(async () => {
    await runner.close?.();
  });

  it('brings random arguments back byte-exact through printf %s (property)', async () => {
    const lazy = createSshRunner(labSettings(lab()));
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(argument, { minLength: 1, maxLength: 4 }), async (args) => {
          const attempt = sshAttempt({ argv: echoArgv(args), target: sshTarget('lab', loopbackOptions(lab())) });
          const observation = await lazy.run(attempt.ctx);
          expect(observation.error).toBeUndefined();
          expect(observation.exitCode).toBe(0);
          expect(splitNul(attempt.stdout.bytes(), args.length)).toEqual(args.map((arg) => Buffer.from(arg, 'utf8')));
        }),
        { numRuns: 60 },
      );
    } finally {
      await lazy.close?.();
    }
  });

  it('refuses an argument with NUL before connecting', async () => {
    const attempt = sshAttempt({ argv: ['echo', 'a\0b'], target: sshTarget('lab', loopbackOptions(lab())) });
    const observation = await runner.run(attempt.ctx);
    expect(observation.error).toEqual({ code: 'INVALID_ARGUMENT', message: 'argument 1 of the command contains a NUL byte (at offset 1), which no command argument can carry' });
    expect(attempt.processes).toEqual([]);
  });
});
