/**
 * CSV and TSV told by shape: every complete record of the head has the same number of fields (two or
 * more) for one delimiter. Quoted fields (RFC 4180) may hold delimiters, doubled quotes and newlines.
 */

/** Tried in this order; `;` is the comma of locales that write decimal commas. */
const delimiters = [',', '\t', ';'] as const;

/** Field count of each complete record; a record the cut interrupted is left out. */
function fieldCounts(text: string, delimiter: string, complete: boolean): number[] {
  const counts: number[] = [];
  let fields = 1;
  let quoted = false;
  let empty = true;
  for (const char of text) {
    if (char === '"') {
      // A doubled quote inside a quoted field toggles twice: the state is right at every delimiter.
      quoted = !quoted;
      empty = false;
    } else if (quoted) {
      continue;
    } else if (char === '\n') {
      if (!empty) counts.push(fields);
      fields = 1;
      empty = true;
    } else if (char === delimiter) {
      fields += 1;
      empty = false;
    } else if (char !== '\r') {
      empty = false;
    }
  }
  if (complete && !quoted && !empty) counts.push(fields);
  return counts;
}

/** `csv` or `tsv` when the head is delimited text (at least two records), otherwise undefined. */
export function sniffDelimited(text: string, complete: boolean): 'csv' | 'tsv' | undefined {
  let best: { delimiter: string; columns: number } | undefined;
  for (const delimiter of delimiters) {
    const counts = fieldCounts(text, delimiter, complete);
    const [columns] = counts;
    if (columns === undefined || columns < 2 || counts.length < 2) continue;
    if (!counts.every((count) => count === columns)) continue;
    if (!best || columns > best.columns) best = { delimiter, columns };
  }
  if (!best) return undefined;
  return best.delimiter === '\t' ? 'tsv' : 'csv';
}
