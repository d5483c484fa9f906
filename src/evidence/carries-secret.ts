/**
 * Whether a JSON file someone else wrote (an answer, an approval) carries one of the run's secret values: in
 * its bytes in any form the redactor knows, or once its JSON is read (`\u0074…` escapes, base64 payloads).
 */
import type { Redactor } from '../redact.js';

function decodedTexts(text: string): string[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return [];
  }
  // JSON.stringify writes every character but quotes, backslashes and controls as itself: escapes are gone.
  const texts = [JSON.stringify(json)];
  const payload = (json as { payload?: unknown } | null)?.payload;
  if (typeof payload === 'string') texts.push(...decodedTexts(Buffer.from(payload, 'base64').toString('utf8')));
  return texts;
}

export function carriesSecret(bytes: Uint8Array, redactor: Redactor): boolean {
  const text = Buffer.from(bytes).toString('utf8');
  return [text, ...decodedTexts(text)].some((t) => redactor.redact(t) !== t);
}
