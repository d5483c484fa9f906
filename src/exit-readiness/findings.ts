/** Findings of the exit-readiness section: what a reader should look at, each on one line. Pure. */
import { gapNames, isGap, quoteKeys, type GapName, type KeyList } from './facts.js';
import { formatSize } from '../scenario/size.js';
import { objects, stepProblem } from './checklist.js';
import type { ExitObservation } from './observation.js';

const keys = (list: KeyList): string => quoteKeys(list, 5);

const gapWords: Record<GapName, string> = {
  missing: 'listed at the end but not exported',
  extra: 'exported but no longer listed (deleted during the export)',
  changed: 'changed during the export',
  corrupted: 'corrupted (digest mismatch)',
  failed: 'could not be copied',
  vanished: 'listed at the start but deleted at the source before it was read (not exported)',
};

export function exitFindings(o: ExitObservation): string[] {
  const lines: string[] = [];
  for (const f of o.formats) {
    if (f.open === false) lines.push(`format ${f.format} is not declared open: ${objects(f.objects, f.bytes)}, e.g. ${f.examples.map((e) => JSON.stringify(e)).join(', ')}`);
  }
  for (const { step, facts } of o.exports) {
    for (const gap of gapNames) {
      const list = facts.reconciliation[gap];
      const accepted = isGap(facts, gap) ? '' : '; accepted (acceptDeletions)';
      if (list.count > 0) lines.push(`${step.id}: ${objects(list.count)} ${gapWords[gap]}${accepted}: ${keys(list)}`);
    }
    if (facts.metadata.withoutContentType > 0) lines.push(`${step.id}: ${objects(facts.metadata.withoutContentType)} without a content type at the source`);
    if (!facts.destinationVerified) lines.push(`${step.id}: the copies at the destination were not read back`);
    if (!step.attempts.at(-1)?.attachments?.some((a) => a.name === facts.manifest.attachment)) lines.push(`${step.id}: the manifest ${JSON.stringify(facts.manifest.attachment)} is not in the bundle`);
    if (facts.resumed.objects > 0) lines.push(`${step.id}: ${objects(facts.resumed.objects, facts.resumed.bytes)} taken from an interrupted earlier export without copying again`);
  }
  for (const step of o.silentExporters) lines.push(stepProblem(step) ?? `${step.id} reported no export facts`);
  for (const { step, facts } of o.reimports) {
    if (!facts) continue;
    if (facts.missing.count > 0) lines.push(`${step.id}: ${objects(facts.missing.count)} missing on the neutral target: ${keys(facts.missing)}`);
    if (facts.mismatched.count > 0) lines.push(`${step.id}: ${objects(facts.mismatched.count)} read back different from the manifest: ${keys(facts.mismatched)}`);
  }
  if (o.projection.volumeBasis === 'listed' && o.plan.dataVolumeBytes === undefined && o.projection.volumeBytes !== undefined) {
    lines.push(`the projection uses the volume the exports listed (${formatSize(o.projection.volumeBytes)}); declare exit.dataVolume when the contract covers more`);
  }
  return lines;
}
