/**
 * Option checks that wait for templates: at validation a value such as `${{ steps.x.outputs.sha256 }}` is
 * not known yet, so a string holding a template passes; the runner parses its options again once the
 * engine has filled them in, and the real value must then pass.
 */
import { z } from 'zod';

export function holdsTemplate(text: string): boolean {
  return text.includes('${{');
}

/** A string that must satisfy `check` once its templates are resolved. */
export function templatedString(check: (text: string) => boolean, message: string): z.ZodString {
  return z.string().refine((text) => holdsTemplate(text) || check(text), { message });
}
