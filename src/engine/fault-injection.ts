/**
 * Fault injection for the crash campaign (test/campaigns/crash.test.ts): `DRILLBOOK_FAULT=kill-after-line:N`
 * kills this process with SIGKILL right after the N-th journal line of a run is on disk;
 * `DRILLBOOK_FAULT=kill-while-sealing` kills it after the reports and the envelope are written and before
 * record.json is. Only for testing how drillbook survives a crash; never set it on a real run.
 */
const fault = process.env['DRILLBOOK_FAULT'] ?? '';
const afterLine = /^kill-after-line:(\d+)$/.exec(fault)?.[1];

function die(): never {
  process.kill(process.pid, 'SIGKILL');
  // SIGKILL is not delivered synchronously everywhere: never carry on.
  for (;;) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000);
}

/** Called with the journal's entry count after each durable line. */
export function journalLineWritten(count: number): void {
  if (afterLine !== undefined && count === Number(afterLine)) die();
}

/** Called between the rendered reports and record.json. */
export function sealing(): void {
  if (fault === 'kill-while-sealing') die();
}
