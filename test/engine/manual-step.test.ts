import { existsSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { manualOptions, manualRunner } from '../../runners/manual/definition.js';
import { createManualRunner } from '../../runners/manual/run.js';
import { coveredMs } from '../../src/engine/objectives.js';
import { createOperatorDesk } from '../../src/engine/operator-desk.js';
import { withParsedOptions } from '../../src/runner-contract.js';
import { SimulatedClock } from '../../src/engine/simulated-clock.js';
import { answerPath, claimFor, readRequest, requestPath, writeAnswer, type AnswerParts } from '../../src/evidence/answer.js';
import type { JournalEvent } from '../../src/evidence/journal-events.js';
import { generateKeyPair, parseSigningKey } from '../../src/evidence/keys.js';
import { verifyBundle } from '../../src/evidence/verify.js';
import { sealBundle } from '../../src/evidence/seal.js';
import type { Step } from '../../src/scenario/types.js';
import { scenario, scriptedCatalog, startTestDrill, step, tempBundle } from './support.js';

const manual = (id: string, extra: Partial<Step> = {}): Step => ({
  ...step(id),
  uses: 'manual',
  with: { instructions: 'Check the replica', confirm: ['counts match', 'lag is zero'], record: ['ticket'] },
  outputs: { ticket: { json: '/inputs/ticket' } },
  ...extra,
});

const pass: AnswerParts = { outcome: 'passed', inputs: { ticket: 'CHG-1' }, confirmed: ['counts match', 'lag is zero'], comment: 'all good' };

/** A drill with a manual step between t0 and recovered, answered by `answerer` (scheduled on the simulated clock). */
function manualDrill(answerer: (dir: string, clock: SimulatedClock) => void, options: { secrets?: Record<string, string>; timeoutMs?: number } = {}) {
  const dir = tempBundle();
  const clock = new SimulatedClock();
  const calls: string[] = [];
  const events: JournalEvent[] = [];
  const s = scenario({
    objectives: { rtoMs: 60_000 },
    secrets: Object.fromEntries(Object.keys(options.secrets ?? {}).map((name) => [name, { env: name }])),
    steps: [step('disaster', [{ ms: 1000 }], { marks: ['t0'] }), manual('dba', { timeoutMs: options.timeoutMs ?? 600_000 }), step('probe', [{ ms: 500 }], { marks: ['recovered'] })],
  });
  const handle = startTestDrill(s, {
    bundleDir: dir,
    clock,
    // Loaded up front: a lazy import would resolve outside the simulated clock.
    runners: { ...scriptedCatalog(calls), manual: { ...manualRunner, load: () => Promise.resolve(withParsedOptions('manual', manualOptions, createManualRunner())) } },
    secrets: options.secrets ?? {},
    onEvent: (e) => events.push(e),
    desk: (journal, timeline, redactor) =>
      createOperatorDesk({ bundleDir: dir, runId: 'run-1', scenarioSha256: s.source.sha256, operator: 'tester', journal, clock, t: () => timeline.t(), iso: (t) => timeline.iso(t), redactor }),
  });
  answerer(dir, clock);
  return { dir, events, record: () => clock.run(handle.done) };
}

/** At `atMs` of run time, answer `dba` attempt 1 as another process would, from the question in the bundle. */
const answerAt = (atMs: number, parts: AnswerParts, by = 'alice', sign?: ReturnType<typeof parseSigningKey>) => (dir: string, clock: SimulatedClock) => {
  clock.setTimeout(() => {
    const request = readRequest(dir, requestPath('dba', 1));
    writeAnswer(dir, claimFor(request, parts, by, '2026-01-01T00:00:04.000Z'), sign);
  }, atMs);
};

const ofType = (events: JournalEvent[], type: string) => events.filter((e) => e.type === type);

describe('manual steps: a person answers, the record says who, when, and how much of the RTO was people', () => {
  it('an answer from elsewhere passes the step; its values become outputs; the RTO shows the time spent waiting', async () => {
    const run = manualDrill(answerAt(4000, pass));
    const record = await run.record();
    expect(record.verdict).toBe('PASS');
    const dba = record.steps.find((s) => s.id === 'dba');
    expect(dba?.answer).toMatchObject({ by: 'alice', outcome: 'passed', comment: 'all good', inputs: { ticket: 'CHG-1' }, confirmed: ['counts match', 'lag is zero'], file: 'answers/dba/1.answer.json' });
    expect(dba?.answer?.keyid).toBeUndefined();
    expect(dba?.outputs).toEqual({ ticket: 'CHG-1' });
    // Asked at 1000 ms (after the disaster), answered at 4000 ms (the next look, polling every 250 ms).
    expect(dba?.answer?.waitedMs).toBe(3000);
    expect(record.objectives.rto.achievedMs).toBe(4500);
    expect(record.objectives.rto.manualMs).toBe(3000);
    expect(ofType(run.events, 'manual.waiting')).toHaveLength(1);
  });

  it('an answer that does not fit the question is refused, removed and waited past; the next one counts', async () => {
    const run = manualDrill((dir, clock) => {
      clock.setTimeout(() => {
        const request = readRequest(dir, requestPath('dba', 1));
        writeAnswer(dir, { ...claimFor(request, pass, 'mallory', 'x'), nonce: 'f'.repeat(32) });
      }, 2000);
      clock.setTimeout(() => {
        const request = readRequest(dir, requestPath('dba', 1));
        writeAnswer(dir, claimFor(request, { ...pass, confirmed: ['counts match'] }, 'bob', 'x'));
      }, 3000);
      answerAt(5000, pass)(dir, clock);
    });
    const record = await run.record();
    const rejected = ofType(run.events, 'manual.rejected').map((e) => (e.data as { reason: string }).reason);
    expect(rejected).toEqual(["its nonce is not this question's", 'a pass must confirm every checklist item (1 not confirmed)']);
    expect(record.steps.find((s) => s.id === 'dba')?.answer?.by).toBe('alice');
    expect(record.verdict).toBe('PASS');
  });

  it("an answer carrying a secret's value is refused and leaves the bundle", async () => {
    const run = manualDrill(
      (dir, clock) => {
        answerAt(2000, { ...pass, comment: 'password is hunter2-secret' }, 'alice')(dir, clock);
        clock.setTimeout(() => expect(existsSync(join(dir, answerPath('dba', 1)))).toBe(false), 2600);
        answerAt(3000, pass, 'alice')(dir, clock);
      },
      { secrets: { DB_PASSWORD: 'hunter2-secret' } },
    );
    const record = await run.record();
    expect(ofType(run.events, 'manual.rejected').map((e) => (e.data as { reason: string }).reason)).toEqual(["it contains a secret's value"]);
    expect(record.steps.find((s) => s.id === 'dba')?.answer?.comment).toBe('all good');
    expect(JSON.stringify(record)).not.toContain('hunter2-secret');
  });

  it('a fail says why, fails the drill and goes to cleanup', async () => {
    const run = manualDrill(answerAt(2000, { outcome: 'failed', inputs: {}, confirmed: [], comment: 'lag is 5 minutes' }, 'bob'));
    const record = await run.record();
    expect(record.verdict).toBe('FAIL');
    const dba = record.steps.find((s) => s.id === 'dba');
    expect(dba?.status).toBe('failed');
    expect(dba?.message).toBe('failed by bob: lag is 5 minutes');
    expect(dba?.answer?.outcome).toBe('failed');
    expect(record.steps.find((s) => s.id === 'probe')?.status).toBe('not-run');
  });

  it('nobody answers: the step times out, and the wait still counts as people time where RTO is measured', async () => {
    const run = manualDrill(() => undefined, { timeoutMs: 5000 });
    const record = await run.record();
    const dba = record.steps.find((s) => s.id === 'dba');
    expect(dba?.status).toBe('failed');
    expect(dba?.reason).toBe('timeout');
    expect(dba?.answer).toBeUndefined();
    expect(record.objectives.rto.status).toBe('not-measured');
  });

  it('a signed answer carries its key id into the record and verifies offline; a claim edited after signing is refused', async () => {
    const pair = generateKeyPair();
    const key = parseSigningKey(pair.privateKeyPem, 'answer.key');
    const run = manualDrill((dir, clock) => {
      clock.setTimeout(() => {
        const request = readRequest(dir, requestPath('dba', 1));
        writeAnswer(dir, claimFor(request, pass, 'carol', 'x'), key);
        const file = join(dir, answerPath('dba', 1));
        const edited = JSON.parse(readFileSync(file, 'utf8')) as { claim: { comment: string } };
        edited.claim.comment = 'edited';
        writeFileSync(file, JSON.stringify(edited));
      }, 2000);
      answerAt(3000, pass, 'carol', key)(dir, clock);
    });
    const record = await run.record();
    expect(ofType(run.events, 'manual.rejected').map((e) => (e.data as { reason: string }).reason)).toEqual(['its envelope does not sign exactly its claim']);
    const answer = record.steps.find((s) => s.id === 'dba')?.answer;
    expect(answer?.keyid).toBe(key.keyid);
    await sealBundle(run.dir, record, {});
    const report = await verifyBundle(run.dir, { threshold: 0, keys: [{ publicKey: key.publicKey, keyid: key.keyid, source: 'carol.pub' }] });
    expect(report.ok).toBe(true);
    expect(report.checks.find((c) => c.id === 'answers')?.details).toEqual(['dba: passed by carol, signed by pinned key carol.pub']);
  });

  it('an answer edited after the seal fails verification', async () => {
    const run = manualDrill(answerAt(2000, pass));
    const record = await run.record();
    await sealBundle(run.dir, record, {});
    const file = join(run.dir, answerPath('dba', 1));
    writeFileSync(file, readFileSync(file, 'utf8').replace('alice', 'mallo'));
    const report = await verifyBundle(run.dir, { threshold: 0 });
    expect(report.ok).toBe(false);
    expect(report.checks.find((c) => c.id === 'answers')?.details).toEqual(['dba: answers/dba/1.answer.json does not say what the record says']);
  });

  it('a link in the answer’s place is refused and removed, never followed', async () => {
    const run = manualDrill((dir, clock) => {
      clock.setTimeout(() => symlinkSync('/etc/passwd', join(dir, answerPath('dba', 1))), 2000);
      answerAt(3000, pass)(dir, clock);
    });
    const record = await run.record();
    expect(ofType(run.events, 'manual.rejected')).toHaveLength(1);
    expect(record.steps.find((s) => s.id === 'dba')?.answer?.by).toBe('alice');
  });
});

describe('coveredMs', () => {
  it('counts overlapping spans once and clips them to the window', () => {
    expect(coveredMs([[0, 10], [5, 15], [20, 30]], 2, 25)).toBe(18);
    expect(coveredMs([], 0, 100)).toBe(0);
    expect(coveredMs([[50, 60]], 0, 40)).toBe(0);
  });
});
