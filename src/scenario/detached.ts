/**
 * Commands that start a process meant to outlive them. A step ends when its command exits, and a stop
 * (timeout, deadline, Ctrl-C) reaches its process group, over ssh its session: a child started with `&`
 * keeps running after the command exits, `setsid` leaves the group, `nohup` and `disown` are how a process
 * is made to outlive its caller. Read from the argument array and from `sh -c` scripts in it; a reading of
 * shell text, not a parser, which is enough for a warning.
 */

const detachers = {
  setsid: 'setsid starts a process in a session of its own',
  nohup: 'nohup starts a process meant to outlive its caller',
  disown: 'disown detaches a background job from the shell',
} as const;
const background = 'the script runs a command in the background (&)';

type Detacher = keyof typeof detachers;
const isDetacher = (word: string): word is Detacher => Object.hasOwn(detachers, word);

const shells = new Set(['sh', 'bash', 'dash', 'zsh', 'ksh', 'mksh', 'ash', 'busybox']);
// Commands that run the command after their own options and arguments, with the options that take a value.
const wrappers: Readonly<Record<string, readonly string[]>> = {
  sudo: ['-u', '-g', '-C', '-D', '-h', '-p', '-r', '-t', '-U', '-R', '-T'],
  doas: ['-u', '-C'],
  env: ['-u', '-C', '-S'],
  nice: ['-n'],
  ionice: ['-c', '-n', '-p'],
  timeout: ['-s', '-k'],
  chrt: [],
  taskset: [],
  stdbuf: [],
  exec: ['-a'],
  command: [],
  time: [],
  setsid: [],
  nohup: [],
};

const basename = (word: string): string => word.slice(word.lastIndexOf('/') + 1);

export interface Detachment {
  /** Index of the `run` element it was found in. */
  index: number;
  /** `&`, `setsid`, `nohup` or `disown`. */
  token: string;
  /** What it does, for the message. */
  does: string;
}

/** The command words of an argument array: the first, and the one after each wrapper and its options. */
function commandWords(argv: readonly string[]): number[] {
  const words: number[] = [];
  let i = 0;
  while (i < argv.length) {
    words.push(i);
    const valued = Object.hasOwn(wrappers, basename(argv[i] ?? '')) ? wrappers[basename(argv[i] ?? '')] : undefined;
    if (valued === undefined) break;
    i += 1;
    // Options (with their value), VAR=value assignments and numbers (chrt 99, timeout 30s) belong to the wrapper.
    while (i < argv.length && /^(?:-|[A-Za-z_][A-Za-z0-9_]*=|\d)/.test(argv[i] ?? '')) i += valued.includes(argv[i] ?? '') ? 2 : 1;
  }
  return words;
}

/** Shell text without quoted parts and comments: what is left is read as operators and words. */
function unquoted(script: string): string {
  return script
    .replace(/\\./gs, '_')
    .replace(/'[^']*'|"(?:[^"\\]|\\.)*"/g, '_')
    .replace(/(^|\s)#.*$/gm, '$1');
}

// Words before the command of a simple command: keywords and variable assignments.
const leading = /^(?:if|then|else|elif|do|while|until|!|[A-Za-z_][A-Za-z0-9_]*=.*)$/;

function scriptDetachments(script: string): string[] {
  const text = unquoted(script);
  const found: string[] = [];
  // `&` alone, not `&&`, `>&`, `<&`, `&>` or `|&`.
  if (/(?<![&<>|])&(?![&>])/.test(text)) found.push('&');
  // The command words of each simple command: `echo nohup` names no detacher, `x & disown` does.
  for (const command of text.split(/[;&|(){}`\n]/)) {
    const words = command.trim().split(/\s+/).filter(Boolean);
    let start = 0;
    while (start < words.length && leading.test(words[start] ?? '')) start += 1;
    const rest = words.slice(start);
    for (const index of commandWords(rest)) {
      const word = basename(rest[index] ?? '');
      if (isDetacher(word) && !found.includes(word)) found.push(word);
    }
  }
  return found;
}

/** Every way `argv` lets a process outlive the step, in argument order. */
export function findDetachments(argv: readonly string[]): Detachment[] {
  const found: Detachment[] = [];
  for (const index of commandWords(argv)) {
    const word = basename(argv[index] ?? '');
    if (isDetacher(word)) found.push({ index, token: word, does: detachers[word] });
    if (!shells.has(word)) continue;
    // sh -c SCRIPT, also with other flags in the same word (-ec, -xc).
    const flag = argv.findIndex((arg, i) => i > index && /^-[A-Za-z]*c[A-Za-z]*$/.test(arg));
    const script = flag >= 0 ? argv[flag + 1] : undefined;
    if (script === undefined) continue;
    for (const token of scriptDetachments(script)) {
      found.push({ index: flag + 1, token, does: token === '&' ? background : detachers[token as Detacher] });
    }
  }
  return found;
}
