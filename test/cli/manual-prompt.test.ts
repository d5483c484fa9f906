import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { AnswerParts, ManualRequest } from '../../src/evidence/answer.js';
import type { PendingQuestion } from '../../src/engine/operator-desk.js';
import { createManualPrompt } from '../../src/cli/manual-prompt.js';

const request = (stepId: string): ManualRequest => ({
  runId: 'r',
  scenarioSha256: '0'.repeat(64),
  stepId,
  attempt: 1,
  nonce: 'n',
  askedAt: '2026-01-01T00:00:00.000Z',
  instructions: `do ${stepId}`,
  confirm: [],
  record: [],
});

const settle = () => new Promise((r) => setTimeout(r, 50));

describe('the manual-step prompt on one terminal', () => {
  it('asks one question at a time; a question answered elsewhere while waiting its turn is never shown', async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    let shown = '';
    output.on('data', (chunk: Buffer) => (shown += chunk.toString('utf8')));
    const answers: [string, AnswerParts][] = [];
    const prompt = createManualPrompt({ input, output, sinceT0: () => undefined, interrupt: () => undefined, hold: () => () => undefined, safe: (t) => t });
    const question = (stepId: string): PendingQuestion & { close(): void } => {
      const closed = new AbortController();
      return {
        request: request(stepId),
        requestFile: `answers/${stepId}/1.request.json`,
        answerFile: `answers/${stepId}/1.answer.json`,
        bundleDir: '/b',
        signal: closed.signal,
        answer: (parts) => {
          answers.push([stepId, structuredClone(parts)]);
          closed.abort();
        },
        close: () => closed.abort(),
      };
    };
    const [a, b, c] = [question('a'), question('b'), question('c')];
    prompt(a);
    prompt(b);
    prompt(c);
    await settle();
    expect(shown).toContain('manual step a');
    expect(shown).not.toContain('manual step b');
    b.close(); // answered elsewhere while a has the terminal
    input.write('p\n');
    await settle();
    input.write('done by hand\n');
    await settle();
    expect(shown).not.toContain('manual step b');
    expect(shown).toContain('manual step c');
    input.write('f\n');
    await settle();
    input.write('\n'); // a fail needs a reason: asked again
    await settle();
    input.write('broken\n');
    await settle();
    expect(answers).toEqual([
      ['a', { outcome: 'passed', inputs: {}, confirmed: [], comment: 'done by hand' }],
      ['c', { outcome: 'failed', inputs: {}, confirmed: [], comment: 'broken' }],
    ]);
  });
});
