/** Durations as scenarios write them: `500ms`, `90s`, `15m`, `2h`, `90d`, `1h30m`. */

const unitMs = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1_000, ms: 1 } as const;
const durationPattern = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+)s)?(?:(\d+)ms)?$/;

/** Milliseconds for a duration string, or undefined when it is not one. */
export function parseDuration(text: string): number | undefined {
  const match = durationPattern.exec(text);
  if (!match || text === '') return undefined;
  const [, d, h, m, s, ms] = match;
  const total =
    Number(d ?? 0) * unitMs.d + Number(h ?? 0) * unitMs.h + Number(m ?? 0) * unitMs.m + Number(s ?? 0) * unitMs.s + Number(ms ?? 0);
  return Number.isSafeInteger(total) ? total : undefined;
}

/** A compact human form: 1h30m, 2m05s, 850ms. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  const sign = ms < 0 ? '-' : '';
  let rest = Math.abs(Math.round(ms));
  if (rest < 1_000) return `${sign}${rest}ms`;
  const days = Math.floor(rest / unitMs.d);
  rest -= days * unitMs.d;
  const hours = Math.floor(rest / unitMs.h);
  rest -= hours * unitMs.h;
  const minutes = Math.floor(rest / unitMs.m);
  rest -= minutes * unitMs.m;
  const seconds = rest / 1_000;
  const parts: string[] = [];
  if (days) parts.push(`${days}d`);
  if (hours) parts.push(`${hours}h`);
  if (minutes) parts.push(`${minutes}m`);
  if (seconds && days === 0) {
    const text = hours || minutes ? seconds.toFixed(0).padStart(2, '0') : seconds.toFixed(seconds < 10 ? 2 : 1).replace(/\.?0+$/, '');
    parts.push(`${text}s`);
  }
  return sign + (parts.length ? parts.join('') : '0s');
}
