/**
 * The text-level rules of ssh_config(5), written after OpenSSH's readconf.c, misc.c and match.c so that
 * drillbook splits, quotes and matches exactly as `ssh` does: keyword and argument splitting
 * (`strdelim`, `argv_split`), wildcard patterns (`match_pattern`, `match_pattern_list`) and time values
 * (`convtime`). Pure functions.
 */

const whitespace = ' \t\r\n';

function skipSpace(text: string, from: number): number {
  let at = from;
  while (at < text.length && whitespace.includes(text[at] ?? '')) at += 1;
  return at;
}

/**
 * One token as OpenSSH's `strdelim` reads it: up to whitespace, `=` or a double quote (a quoted part is
 * taken whole), then the separator and the whitespace after it, and at most one `=`. Returns undefined
 * for an unmatched quote; `next` is where the rest starts.
 */
export function strdelim(text: string, from: number): { token: string; next: number } | undefined {
  let at = from;
  while (at < text.length && !`${whitespace}"=`.includes(text[at] ?? '')) at += 1;
  if (at >= text.length) return { token: text.slice(from), next: text.length };
  if (text[at] === '"') {
    const close = text.indexOf('"', at + 1);
    if (close === -1) return undefined;
    return { token: text.slice(from, at) + text.slice(at + 1, close), next: skipSpace(text, close + 1) };
  }
  const wasEquals = text[at] === '=';
  let next = skipSpace(text, at + 1);
  if (text[next] === '=' && !wasEquals) next = skipSpace(text, next + 1);
  return { token: text.slice(from, at), next };
}

export interface SplitLine {
  /** Lower case. */
  keyword: string;
  /** Everything after the keyword and its separator (ProxyCommand and ProxyJump use it raw). */
  rest: string;
}

/**
 * The keyword of a config line and the text after it; undefined for blank and comment lines. Throws a
 * string (the reason) when the keyword has no argument, as OpenSSH refuses such a line.
 */
export function splitConfigLine(raw: string): SplitLine | undefined {
  let line = raw;
  let end = line.length;
  while (end > 0 && `${whitespace}\f`.includes(line[end - 1] ?? '')) end -= 1;
  line = line.slice(0, end);
  if (line === '') return undefined;
  let first = strdelim(line, 0);
  if (first && first.token === '') first = strdelim(line, first.next);
  if (!first || first.token === '' || first.token.startsWith('#')) return undefined;
  const keyword = first.token.toLowerCase();
  const rest = line.slice(skipSpace(line, first.next));
  if (rest === '') throw new Error(`no argument after keyword "${keyword}"`);
  return { keyword, rest };
}

/**
 * OpenSSH's `argv_split(…, terminate_on_comment = 1)`: whitespace separates arguments, single or double
 * quotes group, backslash escapes a quote, a backslash or (outside quotes) a space, and `#` at the start
 * of an argument ends the line. Undefined for an unterminated quote.
 */
export function argvSplit(text: string): string[] | undefined {
  const args: string[] = [];
  let at = 0;
  while (at < text.length) {
    const char = text[at] ?? '';
    if (char === ' ' || char === '\t') {
      at += 1;
      continue;
    }
    if (char === '#') break;
    let quote = '';
    let arg = '';
    for (; at < text.length; at += 1) {
      const c = text[at] ?? '';
      if (c === '\\') {
        const next = text[at + 1];
        if (next === "'" || next === '"' || next === '\\' || (quote === '' && next === ' ')) {
          at += 1;
          arg += next;
        } else {
          arg += c;
        }
      } else if (quote === '' && (c === ' ' || c === '\t')) {
        break;
      } else if (quote === '' && (c === '"' || c === "'")) {
        quote = c;
      } else if (quote !== '' && c === quote) {
        quote = '';
      } else {
        arg += c;
      }
    }
    if (quote !== '') return undefined;
    args.push(arg);
  }
  return args;
}

/** `match_pattern`: `*` any run of characters, `?` one character, everything else literal (case-sensitive). */
export function matchPattern(text: string, pattern: string): boolean {
  // Iterative glob matching with backtracking on the last `*`, as match.c does recursively.
  let t = 0;
  let p = 0;
  let starP = -1;
  let starT = 0;
  while (t < text.length) {
    const pc = pattern[p];
    if (pc === '*') {
      starP = p;
      starT = t;
      p += 1;
    } else if (pc !== undefined && (pc === '?' || pc === text[t])) {
      p += 1;
      t += 1;
    } else if (starP !== -1) {
      p = starP + 1;
      starT += 1;
      t = starT;
    } else {
      return false;
    }
  }
  while (pattern[p] === '*') p += 1;
  return p === pattern.length;
}

/**
 * `match_pattern_list`: comma-separated patterns, each may be negated with `!`. 1 for a positive match,
 * -1 when a negated pattern matches (that wins), 0 otherwise. `lower`: compare case-insensitively (the
 * text must already be lower case, as OpenSSH's callers pass it).
 */
export function matchPatternList(text: string, list: string, lower: boolean): -1 | 0 | 1 {
  let positive = false;
  for (const raw of list.split(',')) {
    const negated = raw.startsWith('!');
    const body = negated ? raw.slice(1) : raw;
    if (matchPattern(text, lower ? body.toLowerCase() : body)) {
      if (negated) return -1;
      positive = true;
    }
  }
  return positive ? 1 : 0;
}

/** `match_hostname`: a pattern list against a host name, case-insensitively. */
export function matchHostname(host: string, list: string): -1 | 0 | 1 {
  return matchPatternList(host.toLowerCase(), list, true);
}

const timeUnits: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3_600, d: 86_400, w: 604_800 };

/** `convtime`: `90`, `90s`, `1m30s`, `2h` … in seconds; undefined when malformed. */
export function convtime(text: string): number | undefined {
  if (!/^(?:\d+[smhdwSMHDW]?)+$/.test(text)) return undefined;
  let total = 0;
  for (const [, digits, unit] of text.matchAll(/(\d+)([a-zA-Z]?)/g)) {
    total += Number(digits) * (timeUnits[(unit || 's').toLowerCase()] ?? 1);
  }
  return total <= 2_147_483_647 ? total : undefined;
}

/** `a2port`: 1–65535, else undefined. */
export function parsePort(text: string): number | undefined {
  if (!/^\d+$/.test(text)) return undefined;
  const port = Number(text);
  return port >= 1 && port <= 65_535 ? port : undefined;
}

/** yes/no/true/false (any case), as OpenSSH's flag options; undefined otherwise. */
export function parseFlag(text: string | undefined): boolean | undefined {
  const value = text?.toLowerCase();
  if (value === 'yes' || value === 'true') return true;
  if (value === 'no' || value === 'false') return false;
  return undefined;
}
