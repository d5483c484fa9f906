/**
 * What stopping a step's processes did, as the record keeps it (`details.stop`), for local and ssh steps
 * alike. It never claims more than was checked: `allGone` is true only when every process found as the
 * step's was seen gone afterwards.
 */

/**
 * How the step's processes were found: its own cgroup (`cgroup`, with everything below too); its
 * session, process group, the tree under the command and every process carrying its run token
 * (`session+tree+marker`; `session+tree` for a process journalled without a token); or, without /proc,
 * its process group alone (`process-group`).
 */
export type StopMethod = 'cgroup' | 'session+tree+marker' | 'session+tree' | 'process-group';

export interface StopReport<Signal extends string = string> {
  method: StopMethod;
  /** Signals delivered, in order (each at most once in this list). */
  signalsSent: Signal[];
  /** Processes a signal was delivered to. */
  signalled: number[];
  /** Processes found as the step's and seen gone (exited; a zombie counts as gone). */
  gone: number[];
  /** Processes found as the step's and not seen gone: still alive after KILL, or not ours to signal. */
  unconfirmed: number[];
  /** True only when `unconfirmed` is empty. */
  allGone: boolean;
}

/** The environment variable every process a step starts inherits; its value is random per attempt. */
export const runTokenVariable = 'DRILLBOOK_RUN_TOKEN';

/** The STOP_UNCONFIRMED message for a report that is not all gone. */
export function unconfirmedMessage(report: StopReport, where: string): string {
  const pids = report.unconfirmed.join(', ');
  const count = report.unconfirmed.length;
  return `${count} process${count === 1 ? '' : 'es'} of the step ${where} could not be confirmed gone after KILL (pid ${pids}): still running, or not ours to signal`;
}
