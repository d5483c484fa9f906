import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scenario, simulate, step } from './support.js';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe('attachments', () => {
  it('keeps a runner’s evidence file in the bundle, redacted, with its digest in the record', async () => {
    const run = simulate(
      scenario({ secrets: { KEY: { env: 'KEY' } }, steps: [step('export', [{ ms: 10, attach: { 'manifest.jsonl': '{"key":"a"}\n{"key":"hunter2-secret"}\n' } }])] }),
      { secrets: { KEY: 'hunter2-secret' } },
    );
    const record = await run.record();
    const [attachment] = record.steps[0]?.attempts[0]?.attachments ?? [];
    expect(attachment?.name).toBe('manifest.jsonl');
    expect(attachment?.file).toBe('attachments/export/1/manifest.jsonl');
    const stored = readFileSync(join(run.dir, attachment?.file ?? 'missing'), 'utf8');
    expect(stored).not.toContain('hunter2-secret');
    expect(stored).toContain('{"key":"a"}');
    expect(attachment?.sha256).toBe(sha256(stored));
    expect(attachment?.bytes).toBe(Buffer.byteLength(stored));
  });

  it('keeps each attempt’s attachments apart and records none for an attempt without any', async () => {
    const run = simulate(
      scenario({
        steps: [step('export', [{ ms: 10, exitCode: 1, attach: { 'manifest.jsonl': 'first\n' } }, { ms: 10 }], { retry: { attempts: 2, backoffMs: 0 } })],
      }),
    );
    const record = await run.record();
    const attempts = record.steps[0]?.attempts ?? [];
    expect(attempts.map((a) => a.attachments?.map((x) => x.file))).toEqual([['attachments/export/1/manifest.jsonl'], undefined]);
  });
});
