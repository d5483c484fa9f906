/**
 * Data sizes as scenarios write them: `12TiB`, `500 GB`, `1.5TB`, `800MiB`. Binary units (KiB … EiB) are
 * powers of 1024, decimal ones (kB … EB) powers of 1000. The `B` is a capital: `Gb` would read as gigabits.
 * Also the forms reports print sizes, counts and amounts in.
 */

/** A number, an optional space, an optional prefix (`i` for binary) and `B`. Also the JSON Schema pattern. */
export const sizePattern = /^(?=\d)(\d+(?:\.\d+)?) ?(?:([kKmMgGtTpPeE])(i?))?B$/;

const exponents: Record<string, number> = { k: 1, m: 2, g: 3, t: 4, p: 5, e: 6 };

/** Bytes for a size text (rounded to a whole byte), or undefined when it is not one or not a safe integer. */
export function parseSize(text: string): number | undefined {
  const match = sizePattern.exec(text);
  if (!match) return undefined;
  const [, amount = '', prefix, binary] = match;
  const power = prefix === undefined ? 0 : (exponents[prefix.toLowerCase()] ?? 0);
  const bytes = Math.round(Number(amount) * (binary ? 1024 : 1000) ** power);
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

const binaryUnits = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'] as const;

/** A compact binary form for reports: `512 B`, `1.2 GiB`, `12 TiB`, `85 MiB`. */
export function formatSize(bytes: number): string {
  if (!Number.isFinite(bytes)) return String(bytes);
  let value = Math.abs(bytes);
  let unit = 0;
  while (value >= 1024 && unit < binaryUnits.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const digits = unit === 0 || value >= 100 ? 0 : value >= 10 ? 1 : 2;
  const text = value.toFixed(digits).replace(/\.0+$|(\.\d*?)0+$/, '$1');
  return `${bytes < 0 ? '-' : ''}${text} ${binaryUnits[unit] ?? 'B'}`;
}

/** Decimal gigabytes (10^9 bytes), the unit egress is priced in: `13,194.14 GB`. */
export function formatGigabytes(bytes: number): string {
  return `${(bytes / 1e9).toLocaleString('en-US', { maximumFractionDigits: 2 })} GB`;
}

/** A count with thousands separators: `3,012`. */
export function formatCount(count: number): string {
  return count.toLocaleString('en-US');
}

/** An amount to the cent, with its currency when known: `1,187.47 EUR`. */
export function formatMoney(amount: number, currency: string | undefined): string {
  return `${amount.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}${currency ? ` ${currency}` : ''}`;
}
