import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { keywordRule, sshConfigKeywordTable } from '../../../runners/ssh/ssh-config-keywords.js';
import { renderKeywordTable } from './keyword-table.js';

describe('the ssh_config keyword list', () => {
  it('is documented in docs/runners.md exactly as the code applies it', () => {
    const docs = readFileSync('docs/runners.md', 'utf8');
    const start = '<!-- ssh-config-keywords:start -->\n';
    const section = docs.slice(docs.indexOf(start) + start.length, docs.indexOf('\n<!-- ssh-config-keywords:end -->'));
    expect(section).toBe(renderKeywordTable());
  });

  it('knows every keyword `ssh -G` prints, under one rule each', () => {
    const printed = execFileSync('ssh', ['-G', '-F', '/dev/null', 'example.invalid'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .split('\n')
      .map((line) => line.split(' ')[0] ?? '')
      .filter((keyword) => keyword !== '');
    expect(printed.length).toBeGreaterThan(50);
    expect(printed.filter((keyword) => keywordRule(keyword) === undefined)).toEqual([]);
    const names = sshConfigKeywordTable.map((rule) => rule.name.toLowerCase());
    expect(new Set(names).size).toBe(names.length);
    for (const rule of sshConfigKeywordTable) expect(keywordRule(rule.name.toUpperCase())).toBe(rule);
    expect(keywordRule('IdentityFile2')?.name).toBe('IdentityFile');
    expect(keywordRule('UseRoaming')?.kind).toBe('ignored');
    expect(keywordRule('NoSuchKeyword')).toBeUndefined();
  });
});
