import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFileAtomic, writeNewFileAtomic } from '../../src/evidence/atomic-write.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'drillbook-atomic-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('writeFileAtomic', () => {
  it('replaces the file and leaves no temporary file behind', () => {
    const file = join(dir, 'record.json');
    writeFileSync(file, 'old');
    writeFileAtomic(file, 'new\n');
    writeFileAtomic(file, Uint8Array.from([1, 2, 3]));
    expect([...readFileSync(file)]).toEqual([1, 2, 3]);
    expect(readdirSync(dir)).toEqual(['record.json']);
  });

  it('applies the mode exactly, whatever the umask', () => {
    const file = join(dir, 'key.key');
    writeFileAtomic(file, 'secret', 0o600);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    writeFileAtomic(join(dir, 'a.pub'), 'x');
    expect(statSync(join(dir, 'a.pub')).mode & 0o777).toBe(0o644);
  });

  it('throws and cleans up when the folder does not exist', () => {
    expect(() => writeFileAtomic(join(dir, 'missing', 'x'), 'x')).toThrow(/ENOENT/);
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('writeNewFileAtomic', () => {
  it('writes a new file but never replaces one', () => {
    const file = join(dir, 'sig.json');
    writeNewFileAtomic(file, 'first');
    expect(() => writeNewFileAtomic(file, 'second')).toThrow(/EEXIST/);
    expect(readFileSync(file, 'utf8')).toBe('first');
    expect(readdirSync(dir)).toEqual(['sig.json']);
    expect(existsSync(file)).toBe(true);
  });
});
