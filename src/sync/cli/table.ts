/** Plain-text tables for the `berth app` and `berth preview` commands, as kubectl prints them: columns three spaces apart. */

/** Rows (the first is the header) as aligned columns; the last column is not padded. */
export function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] + 3))).join('')).join('\n');
}
