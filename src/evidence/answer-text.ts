/** A manual step's answer, as every report says it. */
import { formatDuration } from '../scenario/duration.js';
import type { AnswerRecord } from './run-record.js';

/** `passed by alice (key 0123456789abcdef) after 3m10s: counts match; ticket = CHG-1042` */
export function answerText(answer: AnswerRecord): string {
  const inputs = Object.entries(answer.inputs).map(([name, value]) => `${name} = ${value}`);
  return [
    `${answer.outcome} by ${answer.by}${answer.keyid ? ` (signed, key ${answer.keyid.slice(0, 16)})` : ' (unsigned)'} at ${answer.at}, after ${formatDuration(answer.waitedMs)}`,
    answer.comment ? `: ${answer.comment}` : '',
    inputs.length ? `; recorded ${inputs.join(', ')}` : '',
  ].join('');
}
