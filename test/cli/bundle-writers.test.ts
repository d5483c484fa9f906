/**
 * People write into a running bundle (answers/, approvals/): what a hostile writer tries there. A folder swapped
 * for a link never makes the run read, remove or write elsewhere; a secret hidden in JSON escapes is still a
 * secret; a rewritten approval request is not signed; over-long values and a folder that is not a bundle are
 * usage errors, not crashes.
 */
import { mkdirSync, readFileSync, readdirSync, renameSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { drillbook, readRecord, waitFor, workspace, writeScenario } from './support.js';

const journalHas = (bundle: string, type: string): boolean => existsSync(join(bundle, 'journal.jsonl')) && readFileSync(join(bundle, 'journal.jsonl'), 'utf8').includes(`"type":"${type}"`);

const manual = `secrets:
  TOKEN: { env: WRITER_TOKEN }
steps:
  - id: dba
    uses: manual
    timeout: 1m
    with: { instructions: Check the standby., record: [ticket] }
`;

const approved = `approval:
  approvers: { keys: [alice.pub] }
  quorum: 1
  timeout: 1m
steps:
  - { id: work, uses: local, run: [node, -e, "process.exit(0)"] }
`;

/** A victim folder outside the bundle, with files that must survive. */
function victim(dir: string): string {
  const folder = join(dir, 'victim');
  mkdirSync(folder);
  for (const name of ['important.txt', 'notes.md']) writeFileSync(join(folder, name), 'keep me\n');
  return folder;
}

describe('writers of a running bundle', () => {
  it('an answers/ folder swapped for a link: the answer is not written there, not read from there, nothing there is removed', async () => {
    const dir = workspace();
    const file = writeScenario(dir, 'writer-answers', manual);
    const out = join(dir, 'bundle');
    const run = drillbook(['run', file, '--out', out], { cwd: dir, env: { WRITER_TOKEN: 'Wr1ter-secret-7' } });
    await waitFor(() => journalHas(out, 'manual.waiting'));
    const elsewhere = victim(dir);
    mkdirSync(join(elsewhere, 'dba'));
    writeFileSync(join(elsewhere, 'dba', '1.answer.json'), '{"not":"an answer"}\n');
    renameSync(join(out, 'answers'), join(dir, 'answers.real'));
    symlinkSync(elsewhere, join(out, 'answers'));

    const answered = await drillbook(['answer', out, 'dba', '--pass', '--input', 'ticket=T-1']);
    expect(answered.exitCode).toBe(4);
    expect(answered.stderr).toContain("answers is a symbolic link: drillbook writes only into the bundle's own folders");
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(readdirSync(elsewhere).sort()).toEqual(['dba', 'important.txt', 'notes.md']);
    expect(readFileSync(join(elsewhere, 'dba', '1.answer.json'), 'utf8')).toBe('{"not":"an answer"}\n');
    expect(journalHas(out, 'manual.rejected')).toBe(false);
    run.kill('SIGTERM');
    await run;
  }, 60_000);

  it("an answer spelling a secret's value in JSON escapes is refused like the plain value", async () => {
    const dir = workspace();
    const file = writeScenario(dir, 'writer-escapes', manual);
    const out = join(dir, 'bundle');
    const run = drillbook(['run', file, '--out', out], { cwd: dir, env: { WRITER_TOKEN: 'Wr1ter-secret-7' } });
    await waitFor(() => journalHas(out, 'manual.waiting'));
    const escaped = [...'Wr1ter-secret-7'].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('');
    const { writeAnswerWithRawComment } = await import('./bundle-writers-support.js');
    writeAnswerWithRawComment(out, 'dba', 1, escaped);
    await waitFor(() => journalHas(out, 'manual.rejected'));
    expect(readFileSync(join(out, 'journal.jsonl'), 'utf8')).toContain("\"reason\":\"it contains a secret's value\"");
    expect(existsSync(join(out, 'answers', 'dba', '1.answer.json'))).toBe(false);
    expect((await drillbook(['answer', out, 'dba', '--pass', '--input', 'ticket=T-2'])).exitCode).toBe(0);
    expect((await run).exitCode).toBe(0);
    expect(readRecord(out).steps[0]?.answer?.inputs).toEqual({ ticket: 'T-2' });
  }, 60_000);

  it('an answer written while the run was down is not its evidence: recover journals it as never taken, removes it, and seals', async () => {
    const dir = workspace();
    const env = { WRITER_TOKEN: 'Wr1ter-secret-7', DRILLBOOK_LOCK_DIR: join(dir, 'locks') };
    const file = writeScenario(dir, 'writer-stray', `${manual}cleanup:\n  - { id: undo, uses: local, run: [node, -e, "process.exit(0)"] }\n`);
    const out = join(dir, 'bundle');
    const run = drillbook(['run', file, '--out', out], { cwd: dir, env });
    await waitFor(() => journalHas(out, 'manual.waiting'));
    run.kill('SIGKILL');
    await run;
    // drillbook answer sees that no drillbook runs it; a file written by hand is not taken either.
    const refused = await drillbook(['answer', out, 'dba', '--pass', '--input', 'ticket=T-1'], { env });
    expect(refused.exitCode).toBe(4);
    expect(refused.stderr).toContain('is not running: no drillbook holds its lock, so nothing would take this; nothing was written');
    expect(refused.stderr).toContain(`drillbook resume ${out}`);
    const { writeAnswerWithRawComment } = await import('./bundle-writers-support.js');
    writeAnswerWithRawComment(out, 'dba', 1, 'token Wr1ter-secret-7');
    expect(existsSync(join(out, 'answers', 'dba', '1.answer.json'))).toBe(true);
    const recovered = await drillbook(['recover', out], { env });
    expect(recovered.exitCode).toBe(0);
    expect(existsSync(join(out, 'answers', 'dba', '1.answer.json'))).toBe(false);
    expect(readFileSync(join(out, 'journal.jsonl'), 'utf8')).toMatch(/"type":"manual\.rejected".*"reason":"written while the run was stopped: the run never took it"/);
    const record = readRecord(out);
    expect([record.verdict, record.steps[0]?.answer]).toEqual(['ABORTED', undefined]);
    for (const name of ['journal.jsonl', 'record.json']) expect(readFileSync(join(out, name), 'utf8')).not.toContain('Wr1ter-secret-7');
  }, 60_000);

  it('an approvals/ folder swapped for a link while the run waits: no file there is read or removed', async () => {
    const dir = workspace();
    expect((await drillbook(['keys', 'generate', join(dir, 'alice')])).exitCode).toBe(0);
    const file = writeScenario(dir, 'writer-approvals', approved);
    const out = join(dir, 'bundle');
    const run = drillbook(['run', file, '--out', out], { cwd: dir });
    await waitFor(() => journalHas(out, 'approval.requested'));
    const elsewhere = victim(dir);
    renameSync(join(out, 'approvals'), join(dir, 'approvals.real'));
    symlinkSync(elsewhere, join(out, 'approvals'));
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(readdirSync(elsewhere).sort()).toEqual(['important.txt', 'notes.md']);
    expect(journalHas(out, 'approval.rejected')).toBe(false);
    run.kill('SIGTERM');
    // The bundle now holds a link: the run ends, and refuses to seal what it cannot vouch for.
    const ended = await run;
    expect(ended.exitCode).toBe(6);
    expect(ended.stderr).toContain('symbolic link');
    expect(readdirSync(elsewhere).sort()).toEqual(['important.txt', 'notes.md']);
  }, 60_000);

  it('a rewritten approval request is not signed; a secret in JSON escapes is refused; long values and non-bundles are usage errors', async () => {
    const dir = workspace();
    expect((await drillbook(['keys', 'generate', join(dir, 'alice')])).exitCode).toBe(0);
    const file = writeScenario(dir, 'writer-request', `secrets:\n  TOKEN: { env: WRITER_TOKEN }\n${approved}`);
    const out = join(dir, 'bundle');
    const run = drillbook(['run', file, '--out', out, '--json'], { cwd: dir, env: { WRITER_TOKEN: 'Wr1ter-secret-7' } });
    await waitFor(() => journalHas(out, 'approval.requested'));

    const requestFile = join(out, 'approvals', 'request.json');
    const original = readFileSync(requestFile, 'utf8');
    writeFileSync(requestFile, JSON.stringify({ ...(JSON.parse(original) as object), vars: { region: 'eu-west\u001b[2K' } }));
    const tampered = await drillbook(['approve', out, '--key', join(dir, 'alice.key')]);
    expect(tampered.exitCode).toBe(4);
    expect(tampered.stderr).toContain("approvals/request.json is not the request this run made (its SHA-256 differs from the journal's): nothing was signed");
    expect(tampered.stdout).not.toContain('\u001b');
    writeFileSync(requestFile, original);

    const long = await drillbook(['approve', out, '--key', join(dir, 'alice.key'), '--comment', 'a'.repeat(5_000)]);
    expect(long.exitCode).toBe(2);
    expect(long.stderr).toContain('this approval cannot be written: comment:');
    const escaped = [...'Wr1ter-secret-7'].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('');
    const { signApprovalWithRawComment } = await import('./bundle-writers-support.js');
    signApprovalWithRawComment(out, join(dir, 'alice.key'), escaped);
    await waitFor(() => journalHas(out, 'approval.rejected'));
    expect(readFileSync(join(out, 'journal.jsonl'), 'utf8')).toMatch(/"type":"approval\.rejected".*"reason":"its envelope does not sign exactly its claim"/);

    expect((await drillbook(['approve', out, '--key', join(dir, 'alice.key'), '--comment', 'go'])).exitCode).toBe(0);
    expect((await run).exitCode).toBe(0);
    expect(readRecord(out).approval?.granted.map((g) => g.comment)).toEqual(['go']);
    for (const name of ['journal.jsonl', 'record.json']) expect(readFileSync(join(out, name), 'utf8')).not.toContain('Wr1ter-secret-7');

    const notBundle = await drillbook(['answer', dir, 'dba', '--pass']);
    expect(notBundle.exitCode).toBe(2);
    expect(notBundle.stderr).toContain('is not a bundle folder: it has no journal.jsonl');
    expect(notBundle.stderr).not.toContain('internal error');
  }, 60_000);
});
