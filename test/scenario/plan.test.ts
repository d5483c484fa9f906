/** `drillbook plan` as text: what a reviewer reads on a terminal. */
import { describe, expect, it } from 'vitest';
import { compileScenario } from '../../src/scenario/compile.js';
import { renderPlanText } from '../../src/scenario/plan.js';
import { head, valid } from './helpers.js';

describe('renderPlanText', () => {
  it('shows bidi controls visibly, in the title and in commands', () => {
    const text = `${head.replace('title: Inline scenario', 'title: "Restore \\u202Eatad\\u202C"')}steps:\n  - { id: copy, uses: local, run: [cp, "invoice\\u202Efdp.exe", /srv] }\n`;
    const plan = renderPlanText(compileScenario(valid(text)));
    expect(plan.split('\n')[0]).toBe('inline (drill): Restore <U+202E>atad<U+202C>');
    expect(plan).toContain('$ cp invoice<U+202E>fdp.exe /srv');
    expect(plan).not.toMatch(/[\u202a-\u202e]/);
  });
});
