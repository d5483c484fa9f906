import { chownSync, copyFileSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { sleepOn } from '../../../src/engine/clock.js';
import { SimulatedClock } from '../../../src/engine/simulated-clock.js';
import type { AttemptClock } from '../../../src/runner-contract.js';
import { expectWithinUncertainty, read, startWriter } from './support.js';

const dir = mkdtempSync(join(tmpdir(), 'drillbook-canary-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('canary on a file', () => {
  it('on a simulated clock: markers on the interval, and the RPO of a copy cut at a known instant to the millisecond', async () => {
    const sim = new SimulatedClock(Date.UTC(2026, 11, 2, 12));
    const clock: AttemptClock = { now: () => sim.now(), wallNow: () => sim.wallNow(), sleep: (ms, signal) => sleepOn(sim, ms, signal) };
    const start = sim.wallNow();
    const writer = startWriter({ file: 'sim-markers.jsonl', interval: '100ms' }, { baseDir: dir, clock });
    // Markers at 0, 100, … 1000 ms; the "replica" stops receiving data at 1050 ms.
    await sim.advance(1_050);
    copyFileSync(join(dir, 'sim-markers.jsonl'), join(dir, 'sim-replica.jsonl'));
    await sim.advance(700);
    const t0 = sim.wallNow();
    const written = await writer.stop();
    expect(written.error).toBeUndefined();
    const summary = JSON.parse(writer.attempt.stdout.bytes().toString('utf8')) as Record<string, unknown>;
    expect(summary).toMatchObject({ intervalMs: 100, failures: 0, markersWritten: 18, maxGapMs: 100, maxWriteMs: 0, clockDriftMs: 0 });
    expect(summary['firstWrittenAt']).toBe(new Date(start).toISOString());
    expect(summary['lastWrittenAt']).toBe(new Date(start + 1_700).toISOString());

    const { observation, result } = await read({ file: 'sim-replica.jsonl', t0: new Date(t0).toISOString() }, { baseDir: dir });
    expect(observation.error).toBeUndefined();
    // The newest surviving marker is the one of 1000 ms: 750 ms lost, known to within one interval.
    expect(result).toMatchObject({ rpoMs: 750, uncertaintyMs: 100 });
    expectWithinUncertainty(result, t0, start + 1_050, start + 1_050, 0);
  });

  it('measures the RPO of a copy cut at a known time, within the stated uncertainty', async () => {
    const writer = startWriter({ file: 'markers.jsonl', interval: '100ms' }, { baseDir: dir });
    await sleep(1_050);
    // The "replica" stops receiving data here.
    const cutStart = Date.now();
    copyFileSync(join(dir, 'markers.jsonl'), join(dir, 'replica.jsonl'));
    const cutEnd = Date.now();
    await sleep(700);
    const t0 = Date.now();
    const written = await writer.stop();
    expect(written.error).toBeUndefined();
    const summary = JSON.parse(writer.attempt.stdout.bytes().toString('utf8')) as Record<string, unknown>;
    expect(summary).toMatchObject({ intervalMs: 100, failures: 0, store: 'file markers.jsonl' });
    // About 17 at 100 ms; fewer on a loaded machine (ticks are skipped rather than bunched up).
    expect(summary['markersWritten']).toBeGreaterThanOrEqual(10);
    expect(readFileSync(join(dir, 'markers.jsonl'), 'utf8').trim().split('\n')).toHaveLength(summary['markersWritten'] as number);

    const { observation, result } = await read({ file: 'replica.jsonl', t0: new Date(t0).toISOString() }, { baseDir: dir });
    expect(observation.error).toBeUndefined();
    expectWithinUncertainty(result, t0, cutStart, cutEnd);
    expect(result['rpoMs']).toBeGreaterThanOrEqual(700);
    expect(result['uncertaintyMs']).toBeGreaterThanOrEqual(100);
    expect(observation.details).toMatchObject({ intervalMs: 100, storeClockOffsetMs: 0, markerAfterT0: false });
    // Wall and monotonic clocks agree when nobody steps the system clock: within the scheduling jitter between
    // two reads on a loaded machine (a step of the clock is a second or more).
    expect(Math.abs(observation.details?.['clockDriftMs'] as number)).toBeLessThanOrEqual(100);

    // The store that kept everything up to T0 lost at most one interval.
    const full = await read({ file: 'markers.jsonl', t0: new Date(t0).toISOString() }, { baseDir: dir });
    expect(full.result['rpoMs']).toBeLessThanOrEqual(full.result['uncertaintyMs'] as number);
  });

  it('fails when no marker survived, and when no marker could be written', async () => {
    const none = await read({ file: 'absent.jsonl', t0: new Date().toISOString() }, { baseDir: dir });
    expect(none.observation.error).toEqual({ code: 'CANARY_NO_MARKER', message: 'canary.read: no marker survived in file absent.jsonl; the RPO cannot be measured' });

    const writer = startWriter({ file: 'no-such-folder/markers.jsonl', interval: '50ms' }, { baseDir: dir });
    await sleep(200);
    const observation = await writer.stop();
    expect(observation.error?.code).toBe('CANARY_NO_MARKER');
    expect(observation.error?.message).toMatch(/^canary\.write: no marker could be written to file no-such-folder\/markers\.jsonl: ENOENT/);
  });

  it('writes its file 0600; a link at the file or its folder, or a file or folder of someone else, fails the step at once, nothing written', async () => {
    const write = async (file: string) => {
      const writer = startWriter({ file, interval: '50ms' }, { baseDir: dir });
      await sleep(120);
      return (await writer.stop()).error;
    };
    expect(await write('own.jsonl')).toBeUndefined();
    expect(lstatSync(join(dir, 'own.jsonl')).mode & 0o777).toBe(0o600);

    const outside = mkdtempSync(join(dir, 'outside-'));
    writeFileSync(join(outside, 'target'), 'theirs\n');
    symlinkSync(join(outside, 'target'), join(dir, 'linked.jsonl'));
    expect(await write('linked.jsonl')).toEqual({
      code: 'DEST_UNSAFE',
      message: `canary.write: ${join(dir, 'linked.jsonl')} is a symbolic link: remove it; drillbook never reads or writes its own files through a link`,
    });
    symlinkSync(outside, join(dir, 'linked-folder'));
    expect(await write('linked-folder/markers.jsonl')).toEqual({
      code: 'DEST_UNSAFE',
      message: `canary.write: ${join(dir, 'linked-folder')} is a symbolic link: name the folder it points to`,
    });
    expect(readdirSync(outside)).toEqual(['target']);
    expect(readFileSync(join(outside, 'target'), 'utf8')).toBe('theirs\n');

    writeFileSync(join(dir, 'theirs.jsonl'), '');
    chownSync(join(dir, 'theirs.jsonl'), 65534, 65534);
    expect(await write('theirs.jsonl')).toEqual({
      code: 'DEST_UNSAFE',
      message: `canary.write: ${join(dir, 'theirs.jsonl')} belongs to uid 65534, not to this user (0): remove it, or give it to this user`,
    });
    expect(readFileSync(join(dir, 'theirs.jsonl'), 'utf8')).toBe('');
    mkdirSync(join(dir, 'their-folder'));
    chownSync(join(dir, 'their-folder'), 65534, 65534);
    expect(await write('their-folder/markers.jsonl')).toEqual({
      code: 'DEST_UNSAFE',
      message: `canary.write: ${join(dir, 'their-folder')} belongs to uid 65534, not to this user (0): give it to this user`,
    });
    expect(readdirSync(join(dir, 'their-folder'))).toEqual([]);
  });
});
