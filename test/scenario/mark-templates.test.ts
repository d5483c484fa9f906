import { describe, expect, it } from 'vitest';
import { head, problems, valid } from './helpers.js';

describe('${{ marks.X }} references', () => {
  it('are valid after the step that sets the mark, and anywhere in cleanup', () => {
    const s = valid(`${head}steps:
  - id: disaster
    marks: t0
    uses: wait
    with: { duration: 1s }
  - id: age
    uses: local
    run: [echo, "\${{ marks.t0 }}"]
cleanup:
  - id: report
    uses: local
    run: [echo, "\${{ marks.t0 }}"]
`);
    expect(s.steps).toHaveLength(2);
  });

  it('name a known mark that some step sets, before the reader', () => {
    expect(
      problems(`${head}steps:
  - id: early
    uses: local
    run: [echo, "\${{ marks.recovered }}", "\${{ marks.t1 }}"]
  - id: disaster
    marks: t0
    uses: local
    run: [echo, "\${{ marks.t0 }}"]
`),
    ).toEqual([
      'scenario.yaml:10:18: steps[0].run[1]: ${{ marks.recovered }} has no value: no step sets mark "recovered"\n  hint: set marks: recovered on the step it stands for',
      'scenario.yaml:10:44: steps[0].run[2]: unknown mark "t1" in ${{ marks.t1 }}\n  hint: the marks are t0 and recovered',
      'scenario.yaml:14:18: steps[1].run[1]: ${{ marks.t0 }} is not reached here: step "disaster" sets it\n  hint: a step reads the marks set by steps that ran before it',
    ]);
  });
});
