/** Options that name another target (`s3.export` to a new provider) are checked like `on:`. */
import { describe, expect, it } from 'vitest';
import { head, problems, valid } from './helpers.js';

const scenario = (to: string): string => `${head}targets:
  source: { s3: { bucket: data, region: eu-west-1 } }
  provider: { s3: { bucket: exit-copy, region: eu-west-1 } }
  web: { http: { baseUrl: "https://example.test" } }
steps:
  - id: export
    uses: s3.export
    on: source
    with: { to: ${to} }
`;

describe('targets named in options', () => {
  it('accepts a declared target of the right kind', () => {
    const [first] = valid(scenario('{ target: provider, state: state.jsonl }')).steps;
    expect(first?.type === 'step' ? first.with : undefined).toEqual({ to: { target: 'provider', state: 'state.jsonl' } });
  });

  it('names an undeclared target, with the nearest declared one', () => {
    expect(problems(scenario('{ target: providr, state: state.jsonl }'))).toEqual([
      expect.stringMatching(/^scenario\.yaml:15:27: steps\[0\]\.with\.to\.target: no target "providr" is declared.*provider/s),
    ]);
  });

  it('names a target of the wrong kind', () => {
    expect(problems(scenario('{ target: web, state: state.jsonl }'))).toEqual([expect.stringMatching(/^scenario\.yaml:15:27: .*target "web" has kind http; to\.target must name a target of kind s3/s)]);
  });

  it('needs a folder or a target, and a state file with a target', () => {
    expect(problems(scenario('{ target: provider }')).join('\n')).toMatch(/`state`/);
    expect(problems(scenario('{}')).join('\n')).toMatch(/either `dir`/);
  });
});
