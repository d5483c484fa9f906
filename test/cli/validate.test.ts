/** `drillbook validate`: errors fail it, warnings are printed and do not. */
import { describe, expect, it } from 'vitest';
import { validateCommand } from '../../src/cli/commands/validate.js';
import type { CliIo } from '../../src/cli/io.js';
import { fixture } from '../scenario/fixtures.js';

async function validate(files: string[], json = false): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: (text) => void (stdout += text), stderr: (text) => void (stderr += text), isTTY: false };
  const code = await validateCommand(files, json ? { json } : {}, io);
  return { code, stdout, stderr };
}

const warned = fixture('warning', 'bidi-control');
const broken = fixture('invalid', 'control-character');

describe('drillbook validate', () => {
  it('prints warnings as file:line:col: warning: and exits 0 when there are only warnings', async () => {
    expect(await validate([warned, fixture('valid', 'minimal')])).toEqual({
      code: 0,
      stdout: `${warned}: ok (drill warned, 1 step, 1 warning)\ntest/fixtures/valid/minimal.yaml: ok (drill minimal, 1 step)\n`,
      stderr:
        `${warned}:4:8: warning: title: contains 4 bidirectional controls, the first U+2066, which changes the order the text around it reads in\n` +
        '  hint: remove it unless right-to-left text needs it; reports and terminals show it as <U+2066>\n',
    });
  });

  it('exits 2 when a file has an error, counting problems and warnings apart', async () => {
    const { code, stdout, stderr } = await validate([broken, warned]);
    expect(code).toBe(2);
    expect(stdout).toBe(`${warned}: ok (drill warned, 1 step, 1 warning)\n`);
    expect(stderr.split('\n').filter((line) => !line.startsWith('  hint:'))).toEqual([
      `${broken}:9:11: steps[0].name: contains the control character U+001B`,
      `${broken}: 1 problem`,
      `${warned}:4:8: warning: title: contains 4 bidirectional controls, the first U+2066, which changes the order the text around it reads in`,
      '',
    ]);
  });

  it('includes warnings in --json, each with its severity', async () => {
    const { code, stdout } = await validate([warned, broken], true);
    expect(code).toBe(2);
    const [ok, failed] = JSON.parse(stdout) as [{ ok: boolean; warnings: { severity: string; code: string; line: number; column: number }[] }, { ok: boolean; issues: { severity: string; code: string }[] }];
    expect(ok.ok).toBe(true);
    expect(ok.warnings.map(({ severity, code, line, column }) => ({ severity, code, line, column }))).toEqual([{ severity: 'warning', code: 'bidi-control', line: 4, column: 8 }]);
    expect(failed.ok).toBe(false);
    expect(failed.issues.map(({ severity, code }) => ({ severity, code }))).toEqual([{ severity: 'error', code: 'control-character' }]);
  });
});
