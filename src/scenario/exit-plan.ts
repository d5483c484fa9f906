/**
 * `exit:` → `ExitPlan`, defaults applied. Problems inside the block are reported here (an unknown format
 * with a did-you-mean, a price without its currency); those that need the steps are rules (exit-rules.ts).
 */
import { formatIds } from '../exit-readiness/format-ids.js';
import { checkFields, checkValue } from './check-value.js';
import { at, describeValue, suggestionHint } from './issues.js';
import type { IssueSink, Path } from './issues.js';
import { exitShape, slugSchema } from './schema.js';
import { parseSize } from './size.js';
import { exitChecks } from './types.js';
import type { ExitCheck, ExitPlan, ScenarioKind } from './types.js';

const path: Path = ['exit'];

/** Every item but `cost`: a price is optional, a contract manager asks about the rest. */
export const defaultRequired: readonly ExitCheck[] = exitChecks.filter((check) => check !== 'cost');

export function defaultExitPlan(): ExitPlan {
  return { openFormats: [], reimportSteps: [], required: [...defaultRequired] };
}

/** Where the parts of `exit:` the rules look at were written. */
export interface ExitSites {
  /** Keys of `exit:` that were written and passed. */
  written: ReadonlySet<string>;
  /** The ids of `reimport` that are slugs, with their index in the list. */
  reimport: readonly { id: string; index: number }[];
}

export interface NormalizedExit extends ExitSites {
  /** Undefined when the scenario is not `kind: exit`. */
  plan?: ExitPlan;
}

function openFormats(raw: unknown, sink: IssueSink): string[] | undefined {
  const listPath = [...path, 'openFormats'];
  if (!Array.isArray(raw)) {
    sink.report({ code: 'wrong-type', message: at(listPath, `expected a list of format ids, got ${describeValue(raw)}`), hint: 'e.g. openFormats: [csv, json, pdf]' }, { path: listPath });
    return undefined;
  }
  const known: readonly string[] = formatIds;
  let ok = true;
  raw.forEach((item, index) => {
    const itemPath = [...listPath, index];
    if (typeof item !== 'string') {
      sink.report({ code: 'wrong-type', message: at(itemPath, `expected a format id, got ${describeValue(item)}`) }, { path: itemPath });
      ok = false;
    } else if (!known.includes(item)) {
      sink.report({ code: 'unknown-format', message: at(itemPath, `unknown format "${item}"`), hint: suggestionHint(item, known, 'formats') }, { path: itemPath });
      ok = false;
    }
  });
  return ok ? (raw as string[]) : undefined;
}

/** Item by item, so that one bad id does not hide the references the rules check in the others. */
function reimportIds(raw: unknown, sink: IssueSink): { id: string; index: number }[] | undefined {
  const listPath = [...path, 'reimport'];
  if (!Array.isArray(raw)) {
    sink.report({ code: 'wrong-type', message: at(listPath, `expected a list of step ids, got ${describeValue(raw)}`), hint: 'e.g. reimport: [restore-dump, reimport-objects]' }, { path: listPath });
    return undefined;
  }
  const ids: { id: string; index: number }[] = [];
  raw.forEach((item, index) => {
    const id = checkValue(slugSchema, item, [...listPath, index], sink);
    if (id !== undefined) ids.push({ id, index });
  });
  return ids;
}

/** Check and normalise `exit:`; `kind` is the scenario's kind when it passed. */
export function normalizeExitPlan(raw: unknown, kind: ScenarioKind | undefined, sink: IssueSink): NormalizedExit {
  if (kind !== undefined && kind !== 'exit') {
    sink.report(
      { code: 'exit-kind', message: at(path, `belongs to kind: exit scenarios; this one is kind: ${kind}`), hint: 'remove exit:, or set kind: exit' },
      { path, at: 'key' },
    );
  }
  const fields = checkFields(exitShape, raw, path, sink, ['openFormats', 'reimport']);
  if (!fields) return { written: new Set(), reimport: [] };
  const v = fields.values;
  const written = new Set(Object.keys(fields.raw).filter((key) => Object.hasOwn(exitShape, key) && !fields.bad.has(key)));
  const formats = written.has('openFormats') ? openFormats(fields.raw.openFormats, sink) : [];
  if (formats === undefined) written.delete('openFormats');
  const reimport = written.has('reimport') ? reimportIds(fields.raw.reimport, sink) : [];
  if (reimport === undefined || (Array.isArray(fields.raw.reimport) && reimport.length !== fields.raw.reimport.length)) written.delete('reimport');

  // A price, its currency and what depends on them go together; a key that is bad was reported already.
  const cost = (key: string, message: string, hint: string, place: Path = [...path, key]): void =>
    sink.report({ code: 'exit-cost', message: at(place, message), hint }, { path: place });
  const has = (key: string): boolean => Object.hasOwn(fields.raw, key);
  if (written.has('currency') && !has('egressPricePerGB')) cost('currency', 'a currency without egressPricePerGB', 'add egressPricePerGB (per GB of 10^9 bytes), or remove currency');
  if (written.has('egressPricePerGB') && !has('currency')) cost('egressPricePerGB', 'a price needs its currency', 'add currency: an ISO 4217 code such as EUR or USD');
  if (written.has('maxCost') && !has('egressPricePerGB')) cost('maxCost', 'a cost limit without egressPricePerGB cannot be judged', 'add egressPricePerGB and currency, or remove maxCost');
  if (written.has('require') && !has('egressPricePerGB')) {
    const index = v.require?.indexOf('cost') ?? -1;
    if (index >= 0) cost('require', 'cost is required, but no egressPricePerGB is declared', 'add egressPricePerGB and currency, or leave cost out of require', [...path, 'require', index]);
  }

  if (kind !== 'exit') return { written, reimport: reimport ?? [] };
  const dataVolumeBytes = v.dataVolume === undefined ? undefined : parseSize(v.dataVolume);
  const plan: ExitPlan = {
    openFormats: formats ?? [],
    ...(dataVolumeBytes !== undefined && { dataVolumeBytes }),
    ...(v.egressPricePerGB !== undefined && { egressPricePerGB: v.egressPricePerGB }),
    ...(v.currency !== undefined && { currency: v.currency }),
    ...(v.maxCost !== undefined && { maxCost: v.maxCost }),
    reimportSteps: (reimport ?? []).map((ref) => ref.id),
    required: v.require ?? [...defaultRequired],
  };
  return { plan, written, reimport: reimport ?? [] };
}
