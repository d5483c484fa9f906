import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { expectWithinUncertainty, read, startWriter } from './support.js';

const dir = mkdtempSync(join(tmpdir(), 'drillbook-canary-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('canary on a file', () => {
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
    // Wall and monotonic clocks agree to the millisecond when nobody steps the system clock.
    expect(Math.abs(observation.details?.['clockDriftMs'] as number)).toBeLessThanOrEqual(2);

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
});
