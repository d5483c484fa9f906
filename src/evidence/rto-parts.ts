/** The parts of an RTO that were not the system recovering, as every report says them. */
import { formatDuration } from '../scenario/duration.js';
import type { ObjectiveRecord } from './run-record.js';

/** ` (of which 3m10s waiting for people in manual steps, 2m with the run stopped until resume)`, or ''. */
export function rtoPartsText(o: ObjectiveRecord | undefined): string {
  const parts = [
    o?.manualMs !== undefined ? `${formatDuration(o.manualMs)} waiting for people in manual steps` : '',
    o?.gapMs !== undefined ? `${formatDuration(o.gapMs)} with the run stopped until it was resumed` : '',
  ].filter(Boolean);
  return parts.length ? ` (of which ${parts.join(', ')})` : '';
}
