/**
 * Leftmost-longest search for many literal strings at once: one regular expression, a prefix tree of the
 * literals' first characters, compiled once. Each branch point holds one character, so the cost per
 * position hardly grows with the number of literals, and at a position the longest literal wins.
 */

/**
 * The regular expression holds at most this many leading characters of each literal; longer literals are
 * confirmed with `startsWith`. V8 stops optimising a pattern past about 20 KB of source (measured: 8 ms
 * per MiB for 10 KB, 155 ms for 40 KB), and the forms of one PEM key alone add up to hundreds of KB.
 */
const prefixLength = 16;

/** A match: where it starts and how many UTF-16 units (or latin1 bytes) it covers. */
export interface LiteralMatch {
  index: number;
  length: number;
}

export interface LiteralMatcher {
  /** Length of the longest literal: a match starting at `i` never needs more than `i + longest` units. */
  readonly longest: number;
  /** The leftmost match starting at or after `from`, the longest literal at that position; none when absent. */
  next(text: string, from: number): LiteralMatch | undefined;
}

/**
 * A matcher for `literals` (empty ones ignored) over UTF-16 code units, so latin1 strings that stand for
 * bytes work as well.
 */
export interface LiteralMatcherOptions {
  /**
   * Literals that match only as a whole token: not right after or before an ASCII letter or digit. A
   * four-digit PIN must not cut every hex digest and timestamp that happens to contain its digits.
   */
  wholeToken?: ReadonlySet<string>;
}

const alnum = (text: string, at: number): boolean => {
  if (at < 0 || at >= text.length) return false;
  const c = text.charCodeAt(at);
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
};
const separator = (text: string, at: number): boolean => at >= 0 && at < text.length && '-:.,+/'.includes(text.charAt(at));
/**
 * Whether the unit at `at` joins a match to more of a word; for digits also a number's separator with a
 * digit beyond it (2026 in 2026-12-02, 47 in 1.47, 721 in 14,721 are parts of a larger number).
 */
const wordUnit = (text: string, at: number, numeric: boolean, step: -1 | 1): boolean =>
  alnum(text, at) || (numeric && separator(text, at) && alnum(text, at + step));
const digits = /^[0-9]+$/;

export function createLiteralMatcher(literals: Iterable<string>, options: LiteralMatcherOptions = {}): LiteralMatcher {
  const unique = [...new Set(literals)].filter((literal) => literal !== '');
  if (unique.length === 0) return { longest: 0, next: () => undefined };
  const short = new Set(unique.filter((literal) => literal.length <= prefixLength));
  // Literals longer than the prefix, by their prefix, longest first.
  const long = new Map<string, string[]>();
  for (const literal of unique.filter((l) => l.length > prefixLength).sort((a, b) => b.length - a.length)) {
    const key = literal.slice(0, prefixLength);
    long.set(key, [...(long.get(key) ?? []), literal]);
  }
  const keys = [...short, ...long.keys()];
  // For each key the regular expression can return: the longest short literal it starts with (0: none).
  const fallback = new Map(keys.map((key) => [key, longestShortPrefix(key, short)]));
  const pattern = new RegExp(compilePrefixTree(keys), 'g');

  const bounded = options.wholeToken ?? new Set<string>();
  const whole = (text: string, index: number, length: number): boolean => {
    const literal = text.slice(index, index + length);
    if (!bounded.has(literal)) return true;
    const numeric = digits.test(literal);
    return !wordUnit(text, index - 1, numeric, -1) && !wordUnit(text, index + length, numeric, 1);
  };
  const longest = Math.max(...unique.map((literal) => literal.length));
  return {
    // Two more units when whole-token literals need to see what follows them (a separator and a digit).
    longest: bounded.size > 0 ? longest + 2 : longest,
    next(text, from) {
      pattern.lastIndex = from;
      for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
        const { index } = match;
        const confirmed = long.get(match[0])?.find((literal) => text.startsWith(literal, index));
        if (confirmed !== undefined) return { index, length: confirmed.length };
        const length = fallback.get(match[0]) ?? 0;
        if (length > 0 && whole(text, index, length)) return { index, length };
        // Only the start of a long literal, or a short one inside a word: look again from the next position.
        pattern.lastIndex = index + 1;
      }
      return undefined;
    },
  };
}

function longestShortPrefix(key: string, short: ReadonlySet<string>): number {
  for (let length = key.length; length > 0; length -= 1) if (short.has(key.slice(0, length))) return length;
  return 0;
}

interface TrieNode {
  children: Map<string, TrieNode>;
  /** A key ends here. */
  end: boolean;
}

/** Source of a regular expression (no `u` flag) matching any of `keys`, the longest at one position. */
function compilePrefixTree(keys: readonly string[]): string {
  const root: TrieNode = { children: new Map(), end: false };
  for (const key of keys) {
    let node = root;
    for (const unit of key.split('')) {
      let child = node.children.get(unit);
      if (!child) {
        child = { children: new Map(), end: false };
        node.children.set(unit, child);
      }
      node = child;
    }
    node.end = true;
  }
  return emitBranches(root);
}

/** The alternatives below `node`, without `node`'s own end. */
function emitBranches(node: TrieNode): string {
  const branches = [...node.children].map(([unit, child]) => escapeUnit(unit) + emitNode(child));
  return branches.length === 1 ? (branches[0] as string) : `(?:${branches.join('|')})`;
}

function emitNode(node: TrieNode): string {
  if (node.children.size === 0) return '';
  // Greedy `?`: the longer key is tried first, the one ending here is the fallback.
  return node.end ? `(?:${emitBranches(node)})?` : emitBranches(node);
}

function escapeUnit(unit: string): string {
  return unit.replace(/[\\^$.*+?()[\]{}|/-]/, '\\$&');
}
