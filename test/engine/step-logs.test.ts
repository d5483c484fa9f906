/** A step's log is written inside the bundle or not at all: a folder swapped for a symbolic link is refused. */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStepLog } from '../../src/engine/step-logs.js';
import { createWriteFailureGuard } from '../../src/engine/write-failure.js';
import { createRedactor } from '../../src/redact.js';

async function writeLog(bundle: string, path: string) {
  const reported: string[] = [];
  const guard = createWriteFailureGuard((failure) => reported.push(failure.message));
  const log = openStepLog(bundle, path, { redact: createRedactor([]).stream(), limitBytes: Infinity, guard });
  log.sink.write('hello\n');
  return { result: await log.close(), reported };
}

describe('step logs', () => {
  it('refuse a step folder that is a symbolic link, and create no folder through a linked logs/', async () => {
    const root = mkdtempSync(join(tmpdir(), 'drillbook-step-logs-'));
    const bundle = join(root, 'bundle');
    const outside = join(root, 'outside');
    mkdirSync(join(bundle, 'logs'), { recursive: true });
    mkdirSync(outside);
    symlinkSync(outside, join(bundle, 'logs', 'promote.check'));
    const linkedStep = await writeLog(bundle, 'logs/promote.check/1.stdout.log');
    expect(linkedStep.result).toEqual({ error: 'ELOOP' });
    expect(linkedStep.reported).toEqual(['writing logs/promote.check/1.stdout.log: ELOOP (a symbolic link where the bundle has a folder or file)']);
    expect(readdirSync(outside)).toEqual([]);

    const other = join(root, 'other');
    mkdirSync(join(other, 'x'), { recursive: true });
    symlinkSync(outside, join(other, 'logs'));
    expect((await writeLog(other, 'logs/last/1.stdout.log')).result).toEqual({ error: 'ELOOP' });
    expect(existsSync(join(outside, 'last'))).toBe(false);

    expect((await writeLog(bundle, 'logs/last/1.stdout.log')).result).toMatchObject({ path: 'logs/last/1.stdout.log', bytes: 6 });
  });
});
