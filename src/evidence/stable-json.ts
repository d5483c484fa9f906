/** Deterministic JSON: the same value always gives the same bytes, so digests and signatures are reproducible. */

/**
 * JSON with object keys sorted by UTF-16 code units at every level, two-space indentation and no trailing
 * newline. `undefined` members are dropped, as JSON.stringify does.
 */
export function stableStringify(value: unknown, indent = 2): string {
  return JSON.stringify(sortKeys(value), null, indent);
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value !== 'object' || value === null) return value;
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort(compareCodeUnits)) sorted[key] = sortKeys((value as Record<string, unknown>)[key]);
  return sorted;
}

/** Plain code-unit order, independent of locale. */
export function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
