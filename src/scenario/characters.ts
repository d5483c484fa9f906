/**
 * What validation says about the characters of a scalar. Control characters (C0 but tab and line feed,
 * DEL, C1) cannot be typed meaningfully and would reach terminals raw: an error in every key and value.
 * Bidi controls belong to right-to-left text and are allowed, but they can make text read other than it
 * is, so each one is a warning; every renderer shows them as `<U+202E>`.
 */
import { bidiControlPattern, codePoint, controlCharacterPattern } from '../visible-text.js';
import type { Problem } from './issues.js';

const controls = new RegExp(controlCharacterPattern.source, 'g');
const bidiControls = new RegExp(bidiControlPattern.source, 'g');

export interface CharacterProblem {
  problem: Problem;
  /** The first offending character, for pointing at it where it is written raw. */
  character: string;
}

function describe(found: readonly string[], noun: string): string {
  const first = codePoint(found[0] ?? '');
  return found.length === 1 ? `the ${noun} ${first}` : `${found.length} ${noun}s, the first ${first}`;
}

/** Problems of `text`; `label` starts each message (`title: `, `vars.x: the key `). */
export function characterProblems(text: string, label: string): CharacterProblem[] {
  const found: CharacterProblem[] = [];
  const control = text.match(controls);
  if (control?.[0] !== undefined) {
    found.push({
      character: control[0],
      problem: {
        code: 'control-character',
        message: `${label}contains ${describe(control, 'control character')}`,
        hint: "remove it: control characters cannot be typed meaningfully; a command that needs one gets the program's own escape for it (printf '\\033')",
      },
    });
  }
  const bidi = text.match(bidiControls);
  if (bidi?.[0] !== undefined) {
    found.push({
      character: bidi[0],
      problem: {
        code: 'bidi-control',
        message: `${label}contains ${describe(bidi, 'bidirectional control')}, which changes the order the text around it reads in`,
        hint: `remove it unless right-to-left text needs it; reports and terminals show it as <${codePoint(bidi[0])}>`,
      },
    });
  }
  return found;
}
