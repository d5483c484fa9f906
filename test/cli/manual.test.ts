import { execa, execaSync } from 'execa';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { cliPath, drillbook, readRecord, waitFor, workspace, writeScenario } from './support.js';

const body = `objectives: { rto: 10m }
secrets:
  TOKEN: { env: MANUAL_TEST_TOKEN }
steps:
  - id: disaster
    marks: t0
    uses: local
    run: [node, -e, "process.exit(0)"]
  - id: dba
    uses: manual
    timeout: 2m
    with:
      assignee: on-call DBA
      instructions: |
        Check the standby.
        Then note the ticket.
      confirm: [row counts match, lag is zero]
      record: [ticket]
    outputs:
      ticket: { json: /inputs/ticket }
  - id: back
    marks: recovered
    uses: local
    run: [node, -e, "console.log(process.argv[1])", "\${{ steps.dba.outputs.ticket }}"]
    expect: { stdout: CHG-7 }
`;

const journalHas = (bundle: string, type: string): boolean => existsSync(join(bundle, 'journal.jsonl')) && readFileSync(join(bundle, 'journal.jsonl'), 'utf8').includes(`"type":"${type}"`);

/** A real terminal: `command` runs in a tmux session of its own, killed with the test's workspace. */
function terminalSession(dir: string, name: string, command: string) {
  const session = `drillbook-${name}-${process.pid}`;
  const tmux = (...args: string[]) => execaSync('tmux', ['-L', session, ...args], { reject: false });
  onTestFinished(() => {
    tmux('kill-server');
    rmSync(dir, { recursive: true, force: true });
  });
  const start = (line: string) => expect(tmux('new-session', '-d', '-s', session, '-x', '200', '-y', '50', `${line}; echo EXIT=$?; sleep 60`).exitCode).toBe(0);
  start(command);
  return {
    screen: () => tmux('capture-pane', '-p', '-t', session, '-S', '-200').stdout,
    keys: (...keys: string[]) => tmux('send-keys', '-t', session, ...keys),
    restart: (line: string) => {
      tmux('kill-server');
      start(line);
    },
  };
}

describe('manual steps from the command line', () => {
  it('a run without a terminal waits, says how to answer, and takes a signed answer given from another process', async () => {
    const dir = workspace();
    const file = writeScenario(dir, 'manual-cli', body);
    const out = join(dir, 'bundle');
    expect((await drillbook(['keys', 'generate', join(dir, 'dba')])).exitCode).toBe(0);
    const run = drillbook(['run', file, '--out', out], { env: { MANUAL_TEST_TOKEN: 'tok-s3cr3t-value' } });
    await waitFor(() => journalHas(out, 'manual.waiting'));

    // Nothing fits: no question for another step, a pass without its value, both flags.
    const other = await drillbook(['answer', out, 'disaster', '--pass']);
    expect(other.exitCode).toBe(4);
    expect(other.all).toContain('step disaster has not asked anything (waiting: dba)');
    const missing = await drillbook(['answer', out, 'dba', '--pass']);
    expect(missing.exitCode).toBe(2);
    expect(missing.all).toContain('a pass must record ticket');
    expect(missing.all).toContain('--input ticket=…');
    expect((await drillbook(['answer', out, 'dba', '--pass', '--fail'])).exitCode).toBe(2);
    expect(existsSync(join(out, 'answers', 'dba', '1.answer.json'))).toBe(false);

    const answered = await drillbook(['answer', out, 'dba', '--pass', '--input', 'ticket=CHG-7', '--comment', 'counts match', '--key', join(dir, 'dba.key'), '--operator', 'dana']);
    expect(answered.all).toContain('the run took the answer');
    expect(answered.exitCode).toBe(0);
    const again = await drillbook(['answer', out, 'dba', '--fail', '--comment', 'late']);
    expect(again.exitCode).toBe(4);
    expect(again.all).toContain('already answered');

    const result = await run;
    expect(result.exitCode).toBe(0);
    expect(result.all).toContain('answer with: drillbook answer');
    expect(result.all).toMatch(/dba: passed by dana \(key [0-9a-f]{16}\): counts match/);
    expect(result.all).toMatch(/RTO [\d.]+m?s \(target 10m\): met \(of which [\d.]+m?s waiting for people in manual steps\)/);
    const record = readRecord(out);
    const dba = record.steps.find((s) => s.id === 'dba');
    expect(dba?.answer).toMatchObject({ by: 'dana', outcome: 'passed', inputs: { ticket: 'CHG-7' }, confirmed: ['row counts match', 'lag is zero'] });
    expect(dba?.answer?.keyid).toMatch(/^[0-9a-f]{64}$/);
    expect(record.objectives.rto.manualMs).toBeGreaterThan(0);
    expect(record.objectives.rto.manualMs).toBeLessThanOrEqual(record.objectives.rto.achievedMs ?? 0);
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toContain('waiting for people in manual steps');

    const verified = await drillbook(['verify', out, '--threshold', '0', '--key', join(dir, 'dba.pub'), '--json']);
    expect(verified.exitCode).toBe(0);
    const checks = (JSON.parse(verified.stdout) as { checks: { id: string; status: string; details: string[] }[] }).checks;
    expect(checks.find((c) => c.id === 'answers')).toMatchObject({ status: 'passed', details: [expect.stringMatching(/^dba: passed by dana, signed by pinned key /)] });
  });

  it('an answer that carries a secret is refused by the run and the person is told; the next answer counts', async () => {
    const dir = workspace();
    const file = writeScenario(dir, 'manual-secret', body);
    const out = join(dir, 'bundle');
    const run = drillbook(['run', file, '--out', out, '--json'], { env: { MANUAL_TEST_TOKEN: 'tok-s3cr3t-value' } });
    await waitFor(() => journalHas(out, 'manual.waiting'));
    const leaked = await drillbook(['answer', out, 'dba', '--fail', '--comment', 'the token tok-s3cr3t-value does not work']);
    expect(leaked.exitCode).toBe(2);
    expect(leaked.all).toContain("the run refused the answer: it contains a secret's value");
    const failed = await drillbook(['answer', out, 'dba', '--fail', '--comment', 'lag is 5 minutes']);
    expect(failed.all).toContain('the run took the answer');
    expect(failed.exitCode).toBe(0);
    const result = await run;
    expect(result.exitCode).toBe(1);
    const everything = [readFileSync(join(out, 'journal.jsonl'), 'utf8'), readFileSync(join(out, 'record.json'), 'utf8'), result.all ?? ''].join('\n');
    expect(everything).not.toContain('tok-s3cr3t-value');
    expect(readRecord(out).steps.find((s) => s.id === 'dba')?.message).toBe('failed by cli-test: lag is 5 minutes');
  });

  it('on a terminal: the instructions, checklist and live times are shown, and what is typed is the answer (tmux)', async () => {
    const dir = workspace();
    const file = writeScenario(dir, 'manual-tty', body);
    const out = join(dir, 'bundle');
    const run = (target: string) => `DRILLBOOK_LOCK_DIR=${join(dir, 'locks')} DRILLBOOK_OPERATOR=tty-user MANUAL_TEST_TOKEN=x-token-x ${process.execPath} ${cliPath} run ${file} --store ${join(dir, 'store')} --out ${target}`;
    const { screen, keys } = terminalSession(dir, 'manual', run(out));
    const type = async (text: string, expected: string) => {
      keys('-l', text);
      keys('Enter');
      await waitFor(() => screen().includes(expected));
    };
    await waitFor(() => screen().includes('confirm "row counts match"?'));
    const shown = screen();
    expect(shown).toContain('manual step dba (attempt 1) for on-call DBA');
    expect(shown).toContain('Check the standby.');
    expect(shown).toContain('[ ] lag is zero');
    expect(shown).toContain('To record: ticket');
    expect(shown).toContain(`drillbook answer ${out} dba --pass|--fail`);
    expect(shown).toMatch(/\[T0\+[\d.]+m?s · waiting [\d.]+m?s\] confirm "row counts match"\?/);
    await type('y', 'confirm "lag is zero"?');
    await type('y', 'ticket:');
    await type('CHG-7', '(p)ass, (f)ail, (a)bort the drill:');
    await type('p', 'comment (Enter for none):');
    await type('checked by hand', 'EXIT=');
    expect(screen()).toContain('answer written (passed)');
    expect(screen()).toContain('EXIT=0');
    const answer = readRecord(out).steps.find((s) => s.id === 'dba')?.answer;
    expect(answer).toMatchObject({ by: 'tty-user', outcome: 'passed', comment: 'checked by hand', inputs: { ticket: 'CHG-7' }, confirmed: ['row counts match', 'lag is zero'] });
  });

  it('on a terminal, an answer given elsewhere closes the prompt; abort stops the drill as Ctrl-C does', async () => {
    const dir = workspace();
    const file = writeScenario(dir, 'manual-abort', body);
    const out = join(dir, 'bundle');
    const run = (target: string) => `DRILLBOOK_LOCK_DIR=${join(dir, 'locks')} MANUAL_TEST_TOKEN=x-token-x ${process.execPath} ${cliPath} run ${file} --store ${join(dir, 'store')} --out ${target}`;
    const { screen, keys, restart } = terminalSession(dir, 'abort', run(out));
    await waitFor(() => screen().includes('confirm "row counts match"?'));
    keys('n', 'Enter');
    keys('n', 'Enter');
    await waitFor(() => screen().includes('(p)ass, (f)ail'));
    keys('a', 'Enter');
    await waitFor(() => screen().includes('EXIT='));
    expect(screen()).toContain('EXIT=130');
    const record = readRecord(out);
    expect(record.verdict).toBe('ABORTED');
    expect(record.signal).toBe('SIGINT');
    expect(record.steps.find((s) => s.id === 'dba')?.status).toBe('cancelled');
    expect(record.steps.find((s) => s.id === 'back')?.status).toBe('not-run');
    // A second run, answered from another process while its prompt is up.
    const second = join(dir, 'second');
    restart(run(second));
    await waitFor(() => screen().includes('confirm "row counts match"?'));
    const elsewhere = await execa(process.execPath, [cliPath, 'answer', second, 'dba', '--pass', '--input', 'ticket=CHG-7'], { reject: false });
    expect(elsewhere.exitCode).toBe(0);
    await waitFor(() => screen().includes('EXIT='));
    expect(screen()).toContain('(the question was closed: answered elsewhere, timed out or stopped)');
    expect(screen()).toContain('EXIT=0');
  });
});
