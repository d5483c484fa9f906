/**
 * Secret campaign: random secrets (quotes, backslashes, %, +, /, =, Unicode, CR/LF, several lines) through
 * every path a run takes them: argv, a step's env, stdout and stderr (plain, base64, hex, JSON-escaped,
 * URL-encoded, cut across writes), step outputs, an error message that echoes the command, an http url,
 * header and body sent to a real server. Afterwards no form of the secret (src/secret-forms.ts) is in any
 * file of the sealed bundle, in drillbook.log or on the terminal. DRILLBOOK_CAMPAIGN_RUNS sets the count.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { secretForms } from '../../src/secret-forms.js';
import { drillbook, workspace, writeScenario } from '../cli/support.js';

const runs = Number(process.env['DRILLBOOK_CAMPAIGN_RUNS'] ?? 5) || 5;
const alphabet = ['a', 'Z', '7', '"', "'", '\\', '#', '?', '%', '+', '/', '=', '&', '<', ' ', '\t', 'é', 'ß', '日', '😀', '\r\n', '\n', '$', '{', '*'];
const secretArb = fc
  .array(fc.constantFrom(...alphabet), { minLength: 10, maxLength: 28 })
  .map((parts) => `k${parts.join('')}q`)
  .filter((s) => !/[\r\n]$/.test(s));

let port = 0;
const received: string[] = [];
const server = createServer((request, response) => {
  let body = '';
  request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
  request.on('end', () => {
    received.push(`${request.url ?? ''} ${JSON.stringify(request.headers)} ${body}`);
    // Echo what came in: the body is captured by the probe, the runner digests it.
    response.end(`${request.url ?? ''}\n${body}`);
  });
});
beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** Everything a step could do with the secret, in one scenario. */
function scenarioFor(dir: string): string {
  const print = [
    "const s = process.argv[1];",
    "process.stdout.write('plain ' + s + '\\n');",
    "process.stdout.write('b64 ' + Buffer.from(s).toString('base64') + ' ' + Buffer.from('x' + s).toString('base64url') + '\\n');",
    "process.stdout.write('hex ' + Buffer.from(s).toString('hex') + '\\n');",
    "process.stdout.write('json ' + JSON.stringify({ s }) + '\\n');",
    "process.stdout.write('url ' + encodeURIComponent(s) + '\\n');",
    "for (const c of s) process.stderr.write(c);",
    "process.stdout.write('env ' + process.env.TOKEN + '\\n');",
    "process.stdout.write('token=' + s.replace(/\\\\n/g, ' ') + '\\n');",
  ].join(' ');
  return writeScenario(
    dir,
    'secret-campaign',
    `secrets: { token: { file: token.txt } }
steps:
  - id: echo
    uses: local
    run: [node, -e, ${JSON.stringify(print)}, "\${{ secrets.token }}"]
    with: { env: { TOKEN: "\${{ secrets.token }}" } }
    outputs: { seen: { stdout: "token=(.*)" } }
  - id: missing
    uses: local
    continueOnError: true
    run: ["/nonexistent/\${{ secrets.token }}", "\${{ secrets.token }}"]
  - id: probe
    uses: http
    continueOnError: true
    with:
      url: "http://127.0.0.1:${port}/h?token=\${{ secrets.token }}"
      method: POST
      headers: { X-Token: "t-\${{ secrets.token }}" }
      body: "secret=\${{ secrets.token }}"
  - id: probe-no-header
    uses: http
    continueOnError: true
    with:
      url: "http://127.0.0.1:${port}/h?token=\${{ secrets.token }}#\${{ secrets.token }}"
      method: POST
      body: "secret=\${{ secrets.token }}"
  - id: reuse
    uses: local
    run: [node, -e, "console.log(process.argv[1])", "\${{ steps.echo.outputs.seen }}"]
`,
  );
}

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

describe('secret campaign', () => {
  it(`no form of ${runs} random secrets reaches the bundle, the log or the terminal`, async () => {
    await fc.assert(
      fc.asyncProperty(secretArb, async (secret) => {
        const dir = workspace();
        writeFileSync(join(dir, 'token.txt'), secret);
        const out = join(dir, 'bundle');
        const result = await drillbook(['run', scenarioFor(dir), '--out', out]);
        // Sealed: the seal's own scan found nothing either (exit 6 would mean it had to refuse).
        expect(result.exitCode).not.toBe(6);
        expect(statSync(join(out, 'record.json')).isFile()).toBe(true);
        const forms = secretForms(secret);
        const places: [string, string][] = [
          ['stdout', result.stdout],
          ['stderr', result.stderr],
          ...files(out).map((f): [string, string] => [f.slice(out.length + 1), readFileSync(f, 'latin1')]),
        ];
        const leaks = places.flatMap(([where, text]) => {
          const bytes = Buffer.from(text, where.startsWith('std') ? 'utf8' : 'latin1').toString('latin1');
          return forms.filter((form) => bytes.includes(Buffer.from(form, 'utf8').toString('latin1'))).map((form) => `${where}: ${JSON.stringify(form)}`);
        });
        expect(leaks).toEqual([]);
      }),
      { numRuns: runs, seed: 20261202 },
    );
    // The secret did travel where the scenario sent it: the campaign is not vacuous.
    expect(received.length).toBeGreaterThan(0);
  }, 300_000);
});
