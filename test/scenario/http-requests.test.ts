/** What an http step or target would send: no credentials in a URL, no line break in a header. */
import { describe, expect, it } from 'vitest';
import { head, problems } from './helpers.js';

const credentials =
  'the URL has a user name or password in it: credentials in a URL are sent nowhere safe and end up in logs\n  hint: put a secret in a header instead: headers: { Authorization: "Bearer ${{ secrets.NAME }}" }';
const lineBreak = 'a header is one line\n  hint: remove the line break: it would end the header and start another';

describe('credentials in a URL', () => {
  it('are an error in a step URL, written or from a var, and in a target baseUrl, and nothing else is said of them', () => {
    const text = `${head}vars: { endpoint: "http://admin:pw@10.0.0.5:8080" }
secrets: { pw: { env: PW } }
targets:
  app: { http: { baseUrl: "https://deploy@app.example/api" } }
steps:
  - { id: a, uses: http, with: { url: "https://bot:\${{ secrets.pw }}@app.example/health" } }
  - { id: b, uses: http, with: { url: "\${{ vars.endpoint }}/health" } }
  - { id: c, uses: http, with: { url: "https://app.example/users/@me?to=a@b" } }
`;
    expect(problems(text)).toEqual([
      `scenario.yaml:10:27: targets.app.http.baseUrl: ${credentials}`,
      `scenario.yaml:12:39: steps[0].with.url: ${credentials}`,
      `scenario.yaml:13:39: steps[1].with.url: ${credentials}`,
    ]);
  });
});

describe('headers', () => {
  it('refuse a line break in a name or a value, also from a var', () => {
    const text = `${head}vars: { trace: "a\\nb" }
steps:
  - id: a
    uses: http
    with:
      url: https://app.example/
      headers:
        "X-A\\nB": "1"
        X-Trace: "\${{ vars.trace }}"
        X-Ok: "fine"
`;
    expect(problems(text)).toEqual([
      `scenario.yaml:14:9: steps[0].with.headers: the header name "X-A\\nB" has a line break (LF); ${lineBreak}`,
      `scenario.yaml:15:18: steps[0].with.headers.X-Trace: the value has a line break (LF); ${lineBreak}`,
    ]);
  });
});
