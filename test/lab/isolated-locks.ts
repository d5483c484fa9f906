/**
 * vitest setupFiles: each test file gets its own machine-wide lock folder, so files that run the same
 * scenario id at the same time (in their own stores) do not hold each other's machine lock. Child
 * processes (the built CLI) inherit it through the environment.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'drillbook-locks-'));
process.env['DRILLBOOK_LOCK_DIR'] = dir;
afterAll(() => rmSync(dir, { recursive: true, force: true }));
