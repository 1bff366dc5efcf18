/** Human-readable numbers for the CLI's tables and progress line. */

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`;
}

/** `12345` → `12,345`. */
export function formatCount(n: number | bigint): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** Events per second, with a sensible number of digits. */
export function formatRate(perSecond: number): string {
  if (!Number.isFinite(perSecond)) return '-';
  if (perSecond >= 100) return `${formatCount(Math.round(perSecond))}/s`;
  if (perSecond >= 1) return `${perSecond.toFixed(1)}/s`;
  return `${perSecond.toFixed(3)}/s`;
}

/** Nanoseconds as seconds with microsecond precision: `1.234567 s`. */
export function formatSeconds(ns: bigint): string {
  const sign = ns < 0n ? '-' : '';
  const abs = ns < 0n ? -ns : ns;
  const micros = (abs + 500n) / 1000n;
  return `${sign}${micros / 1_000_000n}.${String(micros % 1_000_000n).padStart(6, '0')} s`;
}

/** Offset from the start of the trace: `+0.001234s`. */
export function formatOffset(ns: bigint): string {
  return `+${formatSeconds(ns).replace(' ', '')}`;
}

/** Pads cells to the widest of each column; `right` lists the right-aligned column indexes. */
export function table(rows: readonly (readonly string[])[], right: ReadonlySet<number> = new Set()): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => { widths[i] = Math.max(widths[i] ?? 0, cell.length); });
  return rows.map((row) => row
    .map((cell, i) => (i === row.length - 1 && !right.has(i) ? cell : right.has(i) ? cell.padStart(widths[i]) : cell.padEnd(widths[i])))
    .join('  ')
    .trimEnd());
}
