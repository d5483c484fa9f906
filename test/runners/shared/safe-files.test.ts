/** The one rule for where runners write (runners/shared/safe-files.ts), on real folders. Tests run as root. */
import { chmodSync, chownSync, constants, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { createNewFile, createNewFileSync, inspectDestination, isUnsafeDestination, makeSafeFolder, openOwnFile, prepareDestination, refuseProtected } from '../../../runners/shared/safe-files.js';
import { StepError } from '../../../runners/shared/step-error.js';

const scratch = mkdtempSync(join(tmpdir(), 'drillbook-safe-files-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
let cases = 0;
let base: string;
let outside: string;
beforeEach(() => {
  cases += 1;
  base = join(scratch, `case-${cases}`, 'scenario');
  outside = join(scratch, `case-${cases}`, 'outside');
  mkdirSync(base, { recursive: true });
  mkdirSync(outside);
});

const modeOf = (path: string): number => lstatSync(path).mode & 0o7777;
const refused = (message: string) => ({ name: 'StepError', code: 'DEST_UNSAFE', message });
const linkText = 'is a symbolic link: remove it (drillbook then makes the folder itself), or name the folder it points to';

function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('nothing was thrown');
}

describe('makeSafeFolder', () => {
  it('makes every missing folder 0700, the scenario folder too when it is missing, and accepts them the next time', () => {
    makeSafeFolder(join(base, 'a', 'b', 'c'), base);
    for (const folder of ['a', 'a/b', 'a/b/c']) expect(modeOf(join(base, folder))).toBe(0o700);
    makeSafeFolder(join(base, 'a', 'b', 'c'), base);

    const missing = join(scratch, `case-${cases}`, 'not-yet');
    makeSafeFolder(join(missing, 'out'), missing);
    expect(modeOf(missing)).toBe(0o700);
    expect(modeOf(join(missing, 'out'))).toBe(0o700);
  });

  it('refuses a link at any folder below the scenario folder, and makes nothing through it', () => {
    mkdirSync(join(base, 'a'));
    symlinkSync(outside, join(base, 'a', 'b'));
    expect(thrown(() => makeSafeFolder(join(base, 'a', 'b', 'c'), base))).toMatchObject(refused(`${join(base, 'a', 'b')} ${linkText}`));
    expect(readdirSync(outside)).toEqual([]);

    // A dangling link is refused all the same, and not created through.
    symlinkSync(join(outside, 'nothing'), join(base, 'dangling'));
    expect(thrown(() => makeSafeFolder(join(base, 'dangling'), base))).toMatchObject(refused(`${join(base, 'dangling')} ${linkText}`));
    expect(readdirSync(outside)).toEqual([]);
  });

  it('trusts the scenario folder and what is above it, links included', () => {
    const linked = join(scratch, `case-${cases}`, 'linked-scenario');
    symlinkSync(base, linked);
    makeSafeFolder(join(linked, 'out'), linked);
    expect(modeOf(join(base, 'out'))).toBe(0o700);
  });

  it('outside the scenario folder checks the destination and the folders it makes, not those above', () => {
    const theirs = join(outside, 'theirs');
    mkdirSync(theirs);
    chownSync(theirs, 65534, 65534);
    makeSafeFolder(join(theirs, 'new', 'out'), base);
    expect(modeOf(join(theirs, 'new'))).toBe(0o700);
    expect(thrown(() => makeSafeFolder(theirs, base))).toMatchObject(
      refused(`${theirs} belongs to uid 65534, not to this user (0): remove it (drillbook then makes the folder itself), or give it to this user`),
    );
    symlinkSync(join(outside, 'theirs'), join(outside, 'link'));
    expect(thrown(() => makeSafeFolder(join(outside, 'link'), base))).toMatchObject(refused(`${join(outside, 'link')} ${linkText}`));
  });

  it('refuses a file where a folder goes, and a folder other users may write', () => {
    writeFileSync(join(base, 'file'), 'not a folder');
    expect(thrown(() => makeSafeFolder(join(base, 'file', 'out'), base))).toMatchObject(refused(`${join(base, 'file')} is not a folder: remove it, or choose another path`));
    for (const mode of [0o770, 0o707, 0o1777]) {
      mkdirSync(join(base, `open-${mode}`));
      chmodSync(join(base, `open-${mode}`), mode);
      expect(thrown(() => makeSafeFolder(join(base, `open-${mode}`), base))).toMatchObject(
        refused(`${join(base, `open-${mode}`)} is writable by other users: remove their write permission (chmod go-w), or choose another folder`),
      );
    }
  });

  it('refuses to start in a folder anyone may write without a sticky bit; with it, the first folder is safe', () => {
    chmodSync(base, 0o777);
    expect(thrown(() => makeSafeFolder(join(base, 'out'), base))).toMatchObject(
      refused(`${base} may be written by anyone and has no sticky bit: what drillbook writes in it could be swapped for a link: choose a folder elsewhere`),
    );
    expect(thrown(() => makeSafeFolder(base, base))).toMatchObject({ code: 'DEST_UNSAFE' });
    expect(existsSync(join(base, 'out'))).toBe(false);
    chmodSync(base, 0o1777);
    makeSafeFolder(join(base, 'out'), base);
  });

  it('with create: false checks without making anything', () => {
    expect(thrown(() => makeSafeFolder(join(base, 'absent'), base, { create: false }))).toMatchObject({ code: 'ENOENT' });
    expect(existsSync(join(base, 'absent'))).toBe(false);
    symlinkSync(outside, join(base, 'link'));
    expect(thrown(() => makeSafeFolder(join(base, 'link'), base, { create: false }))).toMatchObject(refused(`${join(base, 'link')} is a symbolic link: name the folder it points to`));
    mkdirSync(join(base, 'theirs'));
    chownSync(join(base, 'theirs'), 65534, 65534);
    expect(thrown(() => makeSafeFolder(join(base, 'theirs'), base, { create: false }))).toMatchObject(
      refused(`${join(base, 'theirs')} belongs to uid 65534, not to this user (0): give it to this user`),
    );
  });
});

describe('inspectDestination', () => {
  it('is undefined for nothing, the stats of a file or folder there, and refuses a link or someone else’s file', () => {
    expect(inspectDestination(join(base, 'none'))).toBeUndefined();
    writeFileSync(join(base, 'mine'), 'x');
    expect(inspectDestination(join(base, 'mine'))?.isFile()).toBe(true);
    expect(inspectDestination(base)?.isDirectory()).toBe(true);
    symlinkSync(join(outside, 'absent'), join(base, 'link'));
    expect(thrown(() => inspectDestination(join(base, 'link')))).toMatchObject(refused(`${join(base, 'link')} is a symbolic link: remove it; drillbook never writes through a link`));
    writeFileSync(join(base, 'theirs'), 'x');
    chownSync(join(base, 'theirs'), 65534, 65534);
    expect(thrown(() => inspectDestination(join(base, 'theirs')))).toMatchObject(
      refused(`${join(base, 'theirs')} belongs to uid 65534, not to this user (0): remove it, or give it to this user`),
    );
  });
});

describe('createNewFile and createNewFileSync', () => {
  it('create a new file 0600, never over a file or through a link planted at the name', async () => {
    const file = await createNewFile(join(base, 'new'));
    await file.close();
    expect(modeOf(join(base, 'new'))).toBe(0o600);
    writeFileSync(join(outside, 'target'), 'theirs');
    symlinkSync(join(outside, 'target'), join(base, 'planted-link'));
    writeFileSync(join(base, 'planted-file'), 'theirs');
    const planted = (name: string) => refused(`${join(base, name)} exists already, under a name drillbook had just drawn at random: someone put it there; remove it`);
    await expect(createNewFile(join(base, 'planted-link'))).rejects.toMatchObject(planted('planted-link'));
    expect(thrown(() => createNewFileSync(join(base, 'planted-link')))).toMatchObject(planted('planted-link'));
    expect(thrown(() => createNewFileSync(join(base, 'planted-file')))).toMatchObject(planted('planted-file'));
    expect(readFileSync(join(outside, 'target'), 'utf8')).toBe('theirs');
    expect(readFileSync(join(base, 'planted-file'), 'utf8')).toBe('theirs');
  });
});

describe('openOwnFile', () => {
  it('opens a file of this user’s (made 0600 with O_CREAT), never a link, a folder or someone else’s file', async () => {
    const made = await openOwnFile(join(base, 'log'), constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT);
    await made.appendFile('line\n');
    await made.close();
    expect(modeOf(join(base, 'log'))).toBe(0o600);
    const again = await openOwnFile(join(base, 'log'), constants.O_RDONLY);
    expect(await again.readFile('utf8')).toBe('line\n');
    await again.close();

    writeFileSync(join(outside, 'target'), 'theirs');
    symlinkSync(join(outside, 'target'), join(base, 'link'));
    await expect(openOwnFile(join(base, 'link'), constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT)).rejects.toMatchObject(
      refused(`${join(base, 'link')} is a symbolic link: remove it; drillbook never reads or writes its own files through a link`),
    );
    expect(readFileSync(join(outside, 'target'), 'utf8')).toBe('theirs');
    await expect(openOwnFile(base, constants.O_RDONLY)).rejects.toMatchObject(refused(`${base} is not a regular file: remove it, or choose another path`));
    writeFileSync(join(base, 'theirs'), 'x');
    chownSync(join(base, 'theirs'), 65534, 65534);
    await expect(openOwnFile(join(base, 'theirs'), constants.O_RDONLY)).rejects.toMatchObject(
      refused(`${join(base, 'theirs')} belongs to uid 65534, not to this user (0): remove it, or give it to this user`),
    );
    await expect(openOwnFile(join(base, 'absent'), constants.O_RDONLY)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('refuses a FIFO planted at the name at once, for writing and for reading (an open would wait for its other end)', async () => {
    const fifo = join(base, 'markers.jsonl');
    execFileSync('mkfifo', [fifo]);
    const notAFile = refused(`${fifo} is not a regular file: remove it, or choose another path`);
    await expect(openOwnFile(fifo, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT)).rejects.toMatchObject(notAFile);
    await expect(openOwnFile(fifo, constants.O_RDONLY)).rejects.toMatchObject(notAFile);
  });
});

describe('protected paths', () => {
  it('refuses the bundle folder, anything inside it, and the scenario file, through links too; allows beside them', () => {
    const bundle = join(base, 'store', 'run-1');
    mkdirSync(bundle, { recursive: true });
    const scenario = join(base, 'drill.yaml');
    writeFileSync(scenario, 'steps: []');
    symlinkSync(bundle, join(base, 'to-bundle'));
    const protect = [bundle, scenario];
    const inside = refused(`${join(bundle, 'journal.jsonl')} is inside ${bundle}, which this run keeps as evidence or runs from: write the step's output somewhere else`);
    expect(() => prepareDestination(join(bundle, 'journal.jsonl'), base, protect)).toThrow(expect.objectContaining(inside) as Error);
    expect(() => refuseProtected(join(bundle, 'logs', 'new', 'extra.bin'), protect)).toThrow(/is inside .*run-1/);
    expect(() => refuseProtected(join(base, 'to-bundle', 'journal.jsonl'), protect)).toThrow(/is inside .*run-1/);
    expect(() => refuseProtected(scenario, protect)).toThrow(/drill\.yaml is .*drill\.yaml, which this run keeps/);
    expect(() => makeSafeFolder(bundle, base, { protect })).toThrow(/which this run keeps/);
    expect(() => refuseProtected(join(base, 'store', 'restored.bin'), protect)).not.toThrow();
    expect(() => refuseProtected(join(base, 'store', 'run-10', 'x'), protect)).not.toThrow();
  });
});

describe('isUnsafeDestination', () => {
  it('tells a refusal from other step errors', () => {
    expect(isUnsafeDestination(new StepError('DEST_UNSAFE', 'x'))).toBe(true);
    expect(isUnsafeDestination(new StepError('OTHER', 'x'))).toBe(false);
    expect(isUnsafeDestination(new Error('DEST_UNSAFE'))).toBe(false);
  });
});
