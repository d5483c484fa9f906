/** The ssh_config keyword table of docs/runners.md, rendered from ssh-config-keywords.ts (the test keeps them equal). */
import { obsoleteSshConfigKeywords, sshConfigKeywordAliases, sshConfigKeywordTable, type KeywordRule } from '../../../runners/ssh/ssh-config-keywords.js';

function handling(rule: KeywordRule): string {
  if (rule.kind !== 'refused' || rule.harmless === undefined) return rule.kind;
  return `refused unless ${rule.harmless.map((value) => `\`${value}\``).join(' / ')}`;
}

export function renderKeywordTable(): string {
  const rows = sshConfigKeywordTable.map((rule) => `| \`${rule.name}\` | ${handling(rule)} | ${rule.note} |`);
  const aliases = Object.entries(sshConfigKeywordAliases).map(([alias, target]) => `\`${alias}\` (= \`${target}\`)`);
  return [
    '| keyword | drillbook | why |',
    '|---|---|---|',
    ...rows,
    '',
    `Old spellings read as the keyword they stand for: ${aliases.join(', ')}. Ignored, as OpenSSH ignores them: ${obsoleteSshConfigKeywords.map((name) => `\`${name}\``).join(', ')}.`,
  ].join('\n');
}
